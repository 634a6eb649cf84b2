/**
 * The grants `jmp-exporter permissions` prints are enough to serve: an exporter started with them
 * (no `-A`) answers a driver call that uses its grant.
 */
import assert from "node:assert/strict";
import { DENO_CONFIG, run } from "./_process.ts";
import { EXPORTER_MAIN, serveConfined } from "./_permissions.ts";

const TIMEOUT_MS = 30_000;

Deno.test("an exporter run with exactly the printed grants, not -A, serves Shell and power", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-permissions-" });
  try {
    await using served = await serveConfined(
      dir,
      "  power:\n    type: MockPower\n" +
        "  sh:\n    type: Shell\n    config:\n      methods: { hello: 'echo hi from $0' }\n" +
        "  echo:\n    type: EchoNetwork\n",
    );
    const { flags } = served.printed;
    assert.ok(flags.includes(`--allow-write=${dir}/run`), flags.join(" "));
    // Shell's scripts are stopped by process group, which needs the bare flag
    assert.ok(flags.includes("--allow-run"), flags.join(" "));
    assert.match((await served.j(["sh", "hello"])).stdout, /^hi from hello$/m);
    await served.j(["power", "on"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jmp-exporter permissions: a bad config is one line naming file:line, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-permissions-" });
  try {
    const config = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  tftp:\n    type: Tftp\n    config: { port: 70000 }\n",
    );
    const result = await run(
      Deno.execPath(),
      ["run", "-A", "--quiet", "--config", DENO_CONFIG, EXPORTER_MAIN, "permissions", config],
      { timeoutMs: TIMEOUT_MS },
    );
    assert.equal(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      new RegExp(
        `^Error: ${config}:6:21: Invalid config for driver "Tftp": port must be 0\\.\\.65535 .*\n$`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
