/**
 * The grants `jmp-exporter permissions` prints are enough to serve: an exporter started with them
 * (no `-A`) answers a driver call that uses its grant.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DENO_CONFIG, jmp, run } from "./_process.ts";
import { spawnProgram } from "./_background.ts";

const EXPORTER_MAIN = fileURLToPath(new URL("../exporter/main.ts", import.meta.url));
const TIMEOUT_MS = 30_000;

/**
 * What the exporter program needs whatever its config (not printed by `permissions` yet):
 * - env: the `debug` npm package lists the whole environment when it loads;
 * - ffi, sys=cpus: native addons (`@napi-rs/lzma`) load when the driver packages are imported;
 * - sys=networkInterfaces,hostname: the exporter's report and default addresses;
 * - read/write of the temp dir and net: the session's Unix socket sits at a random path there,
 *   and Deno cannot scope `--allow-net` to a directory of `unix:` paths.
 */
function programBase(tmp: string): string[] {
  return [
    "--allow-env",
    "--allow-ffi",
    "--allow-sys=cpus,networkInterfaces,hostname",
    `--allow-read=${tmp}`,
    `--allow-write=${tmp}`,
    "--allow-net",
  ];
}

Deno.test("an exporter run with the printed grants, not -A, serves a Shell method", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-permissions-" });
  try {
    const config = `${dir}/lab.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  power:\n    type: MockPower\n" +
        "  sh:\n    type: Shell\n    config:\n      methods: { hello: 'echo hi from $0' }\n",
    );
    const printed = await run(
      Deno.execPath(),
      [
        "run",
        "-A",
        "--quiet",
        "--config",
        DENO_CONFIG,
        EXPORTER_MAIN,
        "permissions",
        config,
        "-o",
        "json",
      ],
      { timeoutMs: TIMEOUT_MS },
    );
    assert.equal(printed.code, 0, `permissions failed: ${printed.stderr}`);
    const { flags } = JSON.parse(printed.stdout) as { flags: string[] };
    assert.deepEqual(flags, [`--allow-read=${config}`, "--allow-run=bash"]);

    const tmp = Deno.env.get("TMPDIR") || "/tmp";
    // the printed read grant is merged into the program's own (Deno keeps the last of a flag)
    const args = [
      "run",
      "--quiet",
      "--config",
      DENO_CONFIG,
      ...programBase(tmp).map((flag) =>
        flag === `--allow-read=${tmp}` ? `--allow-read=${tmp},${config}` : flag
      ),
      ...flags.filter((flag) => !flag.startsWith("--allow-read=")),
      EXPORTER_MAIN,
      "--exporter-config",
      config,
    ];
    await using exporter = spawnProgram(Deno.execPath(), args, { timeoutMs: TIMEOUT_MS });
    const socket = await exporter.firstLine;
    const env = { JUMPSTARTER_HOST: socket, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const called = await jmp(["j", "sh", "hello"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(
      called.code,
      0,
      `j sh hello failed: ${called.stderr}\nexporter: ${exporter.printed().stderr}`,
    );
    assert.match(called.stdout, /^hi from hello$/m);
    const power = await jmp(["j", "power", "on"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(power.code, 0, `j power on failed: ${power.stderr}`);
    await exporter.stop("SIGTERM");
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
