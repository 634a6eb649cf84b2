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
 * - read/write of its runtime dir and net: the session's Unix socket sits at a random path in
 *   `$XDG_RUNTIME_DIR`, and Deno cannot scope `--allow-net` to a directory of `unix:` paths.
 */
function programBase(runtimeDir: string): Record<string, string> {
  return {
    env: "--allow-env",
    ffi: "--allow-ffi",
    sys: "--allow-sys=cpus,networkInterfaces,hostname",
    read: `--allow-read=${runtimeDir}`,
    write: `--allow-write=${runtimeDir}`,
    net: "--allow-net",
  };
}

/** `printed` added to `base`: a flag given twice keeps only its last value, so lists are joined. */
function withGrants(base: Record<string, string>, printed: string[]): string[] {
  const flags = { ...base };
  for (const flag of printed) {
    const [name, list] = flag.replace(/^--allow-/, "").split("=", 2) as [string, string?];
    const had = flags[name];
    if (had === undefined || list === undefined) flags[name] = flag;
    else if (had.includes("=")) flags[name] = `${had},${list}`;
  }
  return Object.values(flags);
}

Deno.test("an exporter run with the printed grants, not -A, serves Shell and power", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-permissions-" });
  try {
    const config = `${dir}/lab.yaml`;
    const runtimeDir = `${dir}/run`;
    await Deno.mkdir(runtimeDir);
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  power:\n    type: MockPower\n" +
        "  sh:\n    type: Shell\n    config:\n      methods: { hello: 'echo hi from $0' }\n" +
        "  echo:\n    type: EchoNetwork\n",
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
    assert.deepEqual(flags, [
      `--allow-read=${config}`,
      "--allow-run=bash",
    ]);

    const args = [
      "run",
      "--quiet",
      "--config",
      DENO_CONFIG,
      ...withGrants(programBase(runtimeDir), flags),
      EXPORTER_MAIN,
      "--exporter-config",
      config,
    ];
    await using exporter = spawnProgram(Deno.execPath(), args, {
      timeoutMs: TIMEOUT_MS,
      env: { XDG_RUNTIME_DIR: runtimeDir },
    });
    const socket = await exporter.firstLine;
    const env = { JUMPSTARTER_HOST: socket, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const call = async (args: string[]) => {
      const result = await jmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env });
      assert.equal(
        result.code,
        0,
        `j ${args.join(" ")} failed: ${result.stderr}\nexporter: ${exporter.printed().stderr}`,
      );
      return result.stdout;
    };
    assert.match(await call(["sh", "hello"]), /^hi from hello$/m);
    await call(["power", "on"]);
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
