/**
 * `jmp config client|exporter ...` end to end: the CLI runs as a subprocess with its config home
 * (`JMP_CLIENT_CONFIG_HOME`) in a temporary directory, and the files it leaves are checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { loadClientConfig, loadExporterConfig, loadUserConfig } from "@jumpstarter/lib/config";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  concurrently,
  DENO_CONFIG,
  exists,
  JMP_MAIN,
  listDir,
  run,
  type RunResult,
  tempDir,
} from "./_helpers.ts";

/**
 * The program under test. `jmp config` is not yet wired into cli/main.ts, so this is a test
 * entry with the same error handling; switch to `JMP_MAIN` from _helpers.ts once it is.
 */
const ENTRY = JMP_MAIN;
/** Has the test-only `resolve-client` command; cli/main.ts has no such command. */
const SELECTION_ENTRY = fileURLToPath(new URL("./_config_cli.ts", import.meta.url));

/** Variables that would select or patch a client config. */
const UNSET = [
  "JMP_NAME",
  "JMP_NAMESPACE",
  "JMP_ENDPOINT",
  "JMP_TOKEN",
  "XDG_CONFIG_HOME",
  "VISUAL",
  "EDITOR",
];

interface Home {
  readonly path: string;
  /** Runs `jmp ARGS...` with this config home. */
  jmp(args: string[], env?: Record<string, string>, entry?: string): Promise<RunResult>;
}

async function withHome(fn: (home: Home) => Promise<void>): Promise<void> {
  await using dir = await tempDir();
  const home: Home = {
    path: dir.path,
    jmp: (args, env = {}, entry = ENTRY) =>
      run(Deno.execPath(), ["run", "-A", "--quiet", "--config", DENO_CONFIG, entry, ...args], {
        env: { JMP_CLIENT_CONFIG_HOME: dir.path, ...env },
        unset: UNSET,
      }),
  };
  await fn(home);
}

function ok(result: RunResult): RunResult {
  assertExit(result, 0);
  return result;
}

function clientArgs(alias: string, endpoint = `${alias}.example.com:443`): string[] {
  return [
    "config",
    "client",
    "create",
    alias,
    "--namespace",
    "lab",
    "--name",
    `${alias}-client`,
    "--endpoint",
    endpoint,
    "--token",
    `token-of-${alias}`,
    "--nointeractive",
  ];
}

async function currentClient(home: Home): Promise<string | null> {
  return (await loadUserConfig(join(home.path, "config.yaml"))).config["current-client"];
}

/** The end-to-end checks, run concurrently as steps of one test (each is mostly waiting). */
const checks: Record<string, () => Promise<void>> = {};

function check(name: string, fn: () => Promise<void>): void {
  checks[name] = fn;
}

async function mode(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

/** The keys of every map in `value`, by dotted path. */
function keyTree(value: unknown, path = ""): Record<string, string[]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const record = value as Record<string, unknown>;
  let tree: Record<string, string[]> = { [path || "."]: Object.keys(record) };
  for (const [key, child] of Object.entries(record)) {
    tree = { ...tree, ...keyTree(child, path ? `${path}.${key}` : key) };
  }
  return tree;
}

check(
  "config client create writes a 0600 schema-only file and makes the first one current",
  () =>
    withHome(async (home) => {
      const path = join(home.path, "clients", "lab.yaml");
      const created = ok(
        await home.jmp([...clientArgs("lab"), "-a", "jumpstarter_driver_*, pkg2", "-o", "path"]),
      );
      assert.equal(created.stdout, `${path}\n`);
      assert.equal(await mode(path), 0o600);

      const config = await loadClientConfig(path);
      assert.equal(config.alias, "lab");
      assert.deepEqual(config.metadata, { namespace: "lab", name: "lab-client" });
      assert.equal(config.endpoint, "lab.example.com:443");
      assert.equal(config.token, "token-of-lab");
      assert.deepEqual(config.drivers, { allow: ["jumpstarter_driver_*", "pkg2"], unsafe: false });
      assert.deepEqual(config.tls, { ca: "", insecure: false });

      assert.deepEqual(keyTree(parse(await Deno.readTextFile(path))), {
        ".": [
          "apiVersion",
          "kind",
          "metadata",
          "endpoint",
          "tls",
          "token",
          "grpcOptions",
          "drivers",
          "shell",
        ],
        metadata: ["namespace", "name"],
        tls: ["ca", "insecure"],
        grpcOptions: [],
        drivers: ["allow", "unsafe"],
        shell: ["use_profiles"],
      });

      assert.equal(await currentClient(home), "lab");
      assert.equal(await mode(join(home.path, "config.yaml")), 0o600);

      // a second config does not take over
      assert.equal(ok(await home.jmp(clientArgs("other"))).stdout, "");
      assert.equal(await currentClient(home), "lab");
    }),
);

check("config client create --unsafe, -k and short flags", () =>
  withHome(async (home) => {
    ok(
      await home.jmp([
        "config",
        "client",
        "create",
        "lab",
        "--namespace",
        "ns",
        "--name",
        "n",
        "-e",
        "e:1",
        "-t",
        "t",
        "-a",
        "",
        "--unsafe",
        "-k",
        "--nointeractive",
      ]),
    );
    const config = await loadClientConfig(join(home.path, "clients", "lab.yaml"));
    assert.deepEqual(config.drivers, { allow: [], unsafe: true });
    assert.equal(config.tls.insecure, true);
    assert.equal(config.endpoint, "e:1");
  }));

check(
  "config client create --out writes elsewhere and does not become current",
  () =>
    withHome(async (home) => {
      const out = join(home.path, "elsewhere", "mine.yaml");
      ok(await home.jmp([...clientArgs("lab"), "--out", out]));
      assert.equal((await loadClientConfig(out)).metadata.name, "lab-client");
      assert.equal(await mode(out), 0o600);
      assert.equal(await exists(join(home.path, "clients")), false);
      assert.equal(await exists(join(home.path, "config.yaml")), false);
    }),
);

check(
  "config client create twice is an error that leaves the first file",
  () =>
    withHome(async (home) => {
      ok(await home.jmp(clientArgs("lab")));
      const result = await home.jmp(clientArgs("lab", "changed:1"));
      assertExit(result, 1);
      assert.equal(result.stderr, "Error: A client with the name 'lab' already exists.\n");
      assertNoStackTrace(result);
      const config = await loadClientConfig(join(home.path, "clients", "lab.yaml"));
      assert.equal(config.endpoint, "lab.example.com:443");
    }),
);

check(
  "config client create without a terminal names every missing option (exit 2)",
  () =>
    withHome(async (home) => {
      for (const extra of [[], ["--nointeractive"]]) {
        const result = await home.jmp([
          "config",
          "client",
          "create",
          "lab",
          "--name",
          "n",
          ...extra,
        ]);
        assertExit(result, 2);
        assertOutput(result, "stderr", "Missing options '--namespace', '--endpoint', '--token'");
        assertNoStackTrace(result);
      }
      assert.equal(await exists(join(home.path, "clients")), false);
    }),
);

check(
  "config client create -k without --nointeractive and no terminal is refused",
  () =>
    withHome(async (home) => {
      const args = clientArgs("lab").filter((arg) => arg !== "--nointeractive");
      const result = await home.jmp([...args, "-k"]);
      assertExit(result, 2);
      assertOutput(result, "stderr", "--nointeractive");
      assert.equal(await exists(join(home.path, "clients", "lab.yaml")), false);
    }),
);

check("config client create rejects a malformed alias (exit 2)", () =>
  withHome(async (home) => {
    for (const alias of ["a.b", "../x", "a/b"]) {
      const result = await home.jmp(clientArgs(alias));
      assertExit(result, 2);
      assertOutput(result, "stderr", "Invalid value for 'ALIAS'");
    }
    assert.equal(await exists(join(home.path, "clients")), false);
  }));

check("config client list: table, json, yaml and name", () =>
  withHome(async (home) => {
    const empty = ok(await home.jmp(["config", "client", "list"]));
    assert.equal(empty.stdout, "No resources found.\n");
    assert.equal(ok(await home.jmp(["config", "client", "list", "-o", "name"])).stdout, "");

    ok(await home.jmp(clientArgs("beta", "b.example.com:1234")));
    ok(await home.jmp(clientArgs("alpha", "a:1")));
    const dir = join(home.path, "clients");

    const table = ok(await home.jmp(["config", "client", "list"]));
    assert.equal(
      table.stdout,
      [
        "CURRENT   NAME    ENDPOINT             PATH",
        `          alpha   a:1                  ${dir}/alpha.yaml`,
        `*         beta    b.example.com:1234   ${dir}/beta.yaml`,
        "",
      ].join("\n"),
    );

    const names = ok(await home.jmp(["config", "client", "list", "-o", "name"]));
    assert.equal(names.stdout, "alpha\nbeta\n");

    const json = ok(await home.jmp(["config", "client", "list", "--output", "json"]));
    assert.match(json.stdout, /^\{\n {4}"apiVersion"/); // indent 4, as upstream
    const list = JSON.parse(json.stdout);
    assert.equal(list.apiVersion, "jumpstarter.dev/v1alpha1");
    assert.equal(list.kind, "ClientConfigList");
    assert.equal(list.currentConfig, "beta");
    assert.deepEqual(
      list.items.map((item: { alias: string; path: string; endpoint: string }) => [
        item.alias,
        item.path,
        item.endpoint,
      ]),
      [["alpha", `${dir}/alpha.yaml`, "a:1"], ["beta", `${dir}/beta.yaml`, "b.example.com:1234"]],
    );
    assert.equal(list.items[0].token, "<redacted>");
    assert.doesNotMatch(json.stdout, /token-of-/);
    assert.equal("refresh_token" in list.items[0], false);

    const yaml = ok(await home.jmp(["config", "client", "list", "-o", "yaml"]));
    assert.deepEqual(parse(yaml.stdout), list);
    assert.doesNotMatch(yaml.stdout, /token-of-/);

    const shown = ok(
      await home.jmp(["config", "client", "list", "-o", "json", "--show-credentials"]),
    );
    assert.equal(JSON.parse(shown.stdout).items[1].token, "token-of-beta");

    const bad = await home.jmp(["config", "client", "list", "-o", "wide"]);
    assertExit(bad, 2);
  }));

check(
  "config client use switches the current config; an unknown alias is an error",
  () =>
    withHome(async (home) => {
      ok(await home.jmp(clientArgs("alpha")));
      ok(await home.jmp(clientArgs("beta")));
      assert.equal(await currentClient(home), "alpha");

      const used = ok(await home.jmp(["config", "client", "use", "beta", "-o", "path"]));
      assert.equal(used.stdout, `${join(home.path, "clients", "beta.yaml")}\n`);
      assert.equal(await currentClient(home), "beta");
      assertOutput(ok(await home.jmp(["config", "client", "list"])), "stdout", "*         beta");

      const missing = await home.jmp(["config", "client", "use", "nope"]);
      assertExit(missing, 1);
      assert.equal(
        missing.stderr,
        `Error: Client config '${join(home.path, "clients", "nope.yaml")}' does not exist.\n`,
      );
      assert.equal(await currentClient(home), "beta");
    }),
);

check(
  "config client delete moves the current config, then clears it",
  () =>
    withHome(async (home) => {
      for (const alias of ["alpha", "beta", "gamma"]) ok(await home.jmp(clientArgs(alias)));
      ok(await home.jmp(["config", "client", "use", "beta"]));

      // deleting another config leaves the current one
      ok(await home.jmp(["config", "client", "delete", "gamma"]));
      assert.equal(await currentClient(home), "beta");

      const deleted = ok(await home.jmp(["config", "client", "delete", "beta", "-o", "path"]));
      assert.equal(deleted.stdout, `${join(home.path, "clients", "beta.yaml")}\n`);
      assert.equal(await currentClient(home), "alpha");

      ok(await home.jmp(["config", "client", "delete", "alpha"]));
      assert.equal(await currentClient(home), null);
      assert.deepEqual(await listDir(join(home.path, "clients")), []);

      const missing = await home.jmp(["config", "client", "delete", "alpha"]);
      assertExit(missing, 1);
      assert.equal(
        missing.stderr,
        `Error: Client config '${join(home.path, "clients", "alpha.yaml")}' does not exist.\n`,
      );
    }),
);

check("jmp config groups take no aliases; `jmp conf` does", () =>
  withHome(async (home) => {
    for (const args of [["config", "client", "ls"], ["config", "clients", "list"]]) {
      const result = await home.jmp(args);
      assertExit(result, 2);
      assertOutput(result, "stderr", "unknown command");
    }
    assert.equal(ok(await home.jmp(["conf", "client", "list"])).stdout, "No resources found.\n");
  }));

check(
  "client selection: flags, env-only client, current client, errors",
  () =>
    withHome(async (home) => {
      const resolve = (args: string[], env: Record<string, string> = {}) =>
        home.jmp(["resolve-client", ...args], env, SELECTION_ENTRY);
      const dir = join(home.path, "clients");

      const none = await resolve([]);
      assertExit(none, 1);
      assert.equal(
        none.stderr,
        "Error: none of --client, --client-config is specified, and default config is not set\n",
      );

      ok(await home.jmp(clientArgs("alpha", "a:1")));
      ok(await home.jmp(clientArgs("beta", "b:1")));
      assert.equal(ok(await resolve([])).stdout, `alpha ${dir}/alpha.yaml a:1\n`);
      assert.equal(ok(await resolve(["--client", "beta"])).stdout, `beta ${dir}/beta.yaml b:1\n`);
      assert.equal(
        ok(await resolve(["--client-config", `${dir}/beta.yaml`])).stdout,
        `beta ${dir}/beta.yaml b:1\n`,
      );

      const envOnly = { JMP_NAME: "n", JMP_NAMESPACE: "ns", JMP_ENDPOINT: "env:1" };
      assert.equal(ok(await resolve([], envOnly)).stdout, "default - env:1\n");
      // the environment never patches a selected file
      assert.equal(
        ok(await resolve(["--client", "beta"], envOnly)).stdout,
        `beta ${dir}/beta.yaml b:1\n`,
      );

      const both = await resolve(["--client", "alpha", "--client-config", `${dir}/beta.yaml`]);
      assertExit(both, 2);
      assert.equal(
        both.stderr,
        "Error: only one of --client, --client-config should be specified\n",
      );

      const unknown = await resolve(["--client", "nope"]);
      assertExit(unknown, 1);
      assert.equal(unknown.stderr, `Error: Client config '${dir}/nope.yaml' does not exist.\n`);

      const missingFile = await resolve(["--client-config", join(home.path, "none.yaml")]);
      assertExit(missingFile, 1);
      assertOutput(missingFile, "stderr", "none.yaml: Config file not found");
      assertNoStackTrace(missingFile);
    }),
);

check("config exporter create, list, edit and delete", () =>
  withHome(async (home) => {
    const dir = join(home.path, "exporters");
    assert.equal(
      ok(await home.jmp(["config", "exporter", "list"])).stdout,
      "No resources found.\n",
    );

    const created = ok(
      await home.jmp([
        "config",
        "exporter",
        "create",
        "--namespace",
        "lab",
        "--name",
        "bench-1",
        "--endpoint",
        "ctl:443",
        "--token",
        "exporter-secret",
        "-o",
        "path",
      ]),
    );
    const path = join(dir, "default.yaml");
    assert.equal(created.stdout, `${path}\n`);
    assert.equal(await mode(path), 0o600);
    const config = await loadExporterConfig(path);
    assert.deepEqual(config.metadata, { namespace: "lab", name: "bench-1" });
    assert.equal(config.endpoint, "ctl:443");
    assert.equal(config.token, "exporter-secret");
    assert.equal(config.export.size, 0);
    assert.deepEqual(parse(await Deno.readTextFile(path)).export, {});

    // endpoint and token may be left out: a local exporter needs neither
    ok(
      await home.jmp(["config", "exporter", "create", "local", "--namespace", "x", "--name", "y"]),
    );
    assert.equal((await loadExporterConfig(join(dir, "local.yaml"))).endpoint, null);

    const again = await home.jmp([
      "config",
      "exporter",
      "create",
      "local",
      "--namespace",
      "x",
      "--name",
      "y",
    ]);
    assertExit(again, 1);
    assert.equal(again.stderr, 'Error: exporter "local" exists\n');

    const missing = await home.jmp(["config", "exporter", "create", "third", "--nointeractive"]);
    assertExit(missing, 2);
    assertOutput(missing, "stderr", "Missing options '--namespace', '--name'");

    assert.equal(
      ok(await home.jmp(["config", "exporter", "list"])).stdout,
      `ALIAS     PATH\ndefault   ${dir}/default.yaml\nlocal     ${dir}/local.yaml\n`,
    );
    assert.equal(
      ok(await home.jmp(["config", "exporter", "list", "-o", "name"])).stdout,
      "default\nlocal\n",
    );
    const json = JSON.parse(
      ok(await home.jmp(["config", "exporter", "list", "-o", "json"])).stdout,
    );
    assert.equal(json.kind, "ExporterConfigList");
    assert.deepEqual(
      json.items.map((item: { alias: string; token: string | null }) => [item.alias, item.token]),
      [["default", "<redacted>"], ["local", null]],
    );
    const yaml = parse(ok(await home.jmp(["config", "exporter", "list", "-o", "yaml"])).stdout);
    assert.deepEqual(yaml, json);

    // the editor variable may carry arguments; VISUAL wins over EDITOR
    const edited = await home.jmp(["config", "exporter", "edit", "local"], {
      VISUAL: "sed -i s/name:\\ y/name:\\ z/",
      EDITOR: "false",
    });
    ok(edited);
    assert.equal((await loadExporterConfig(join(dir, "local.yaml"))).metadata.name, "z");
    const failed = await home.jmp(["config", "exporter", "edit", "local"], { EDITOR: "false" });
    assertExit(failed, 1);
    assert.equal(failed.stderr, "Error: false: Editing failed\n");
    const editMissing = await home.jmp(["config", "exporter", "edit", "nope"], { EDITOR: "true" });
    assertExit(editMissing, 1);
    assert.equal(editMissing.stderr, 'Error: exporter "nope" does not exist\n');

    const deleted = ok(await home.jmp(["config", "exporter", "delete", "-o", "path"]));
    assert.equal(deleted.stdout, `${path}\n`);
    assert.deepEqual(await listDir(dir), ["local.yaml"]);
    const gone = await home.jmp(["config", "exporter", "delete"]);
    assertExit(gone, 1);
    assert.equal(gone.stderr, 'Error: exporter "default" does not exist\n');

    const badAlias = await home.jmp(["config", "exporter", "delete", ".."]);
    assertExit(badAlias, 2);
    assertOutput(badAlias, "stderr", "Invalid value for 'ALIAS'");
  }));

check(
  "config exporter list reports a broken file with its location in -o json",
  () =>
    withHome(async (home) => {
      const dir = join(home.path, "exporters");
      await Deno.mkdir(dir);
      await Deno.writeTextFile(
        join(dir, "bad.yaml"),
        "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport: [1]\n",
      );
      // the table needs no content
      assertOutput(ok(await home.jmp(["config", "exporter", "list"])), "stdout", "bad   ");
      const result = await home.jmp(["config", "exporter", "list", "-o", "json"]);
      assertExit(result, 1);
      assertOutput(result, "stderr", `Error: ${join(dir, "bad.yaml")}:3:`);
      assertNoStackTrace(result);
    }),
);

Deno.test("jmp config end to end", (t) => concurrently(t, checks));

const hasScript = new Deno.Command("sh", { args: ["-c", "command -v script"], stdout: "null" })
  .outputSync().success;

Deno.test({
  name: "config client create prompts for missing values on a terminal",
  ignore: !hasScript,
  fn: () =>
    withHome(async (home) => {
      // `script` gives the CLI a terminal; the answers are typed ahead
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        "--config",
        DENO_CONFIG,
        ENTRY,
        "config",
        "client",
        "create",
        "lab",
        "--name",
        "given",
      ].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
      const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1" };
      for (const name of UNSET) delete env[name];
      env["JMP_CLIENT_CONFIG_HOME"] = home.path;
      const child = new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("ns\nep.example:443\nsecret-token\na,b\n"));
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const output = await child.output().finally(() => clearTimeout(timer));
      await writer.close().catch(() => {});
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 0, `exited ${output.code}\n${stdout}`);
      assert.match(stdout, /Enter a valid Jumpstarter client namespace: /);
      assert.doesNotMatch(stdout, /client name: /); // given as a flag
      assert.match(stdout, /Enter a Jumpstarter auth token \(hidden\): /);
      const config = await loadClientConfig(join(home.path, "clients", "lab.yaml"));
      assert.deepEqual(config.metadata, { namespace: "ns", name: "given" });
      assert.equal(config.endpoint, "ep.example:443");
      assert.equal(config.token, "secret-token");
      assert.deepEqual(config.drivers.allow, ["a", "b"]);
    }),
});
