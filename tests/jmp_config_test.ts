/**
 * `jmp config client|exporter ...` end to end: the CLI runs as a subprocess with its config home
 * (`JMP_CLIENT_CONFIG_HOME`) in a temporary directory, and the files it leaves are checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { loadClientConfig, loadExporterConfig } from "@jumpstarter/lib/config";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  concurrently,
  DENO_CONFIG,
  listDir,
} from "./_helpers.ts";
import { clientArgs, ENTRY, mode, ok, SELECTION_ENTRY, UNSET, withHome } from "./_jmp_config.ts";

/** The end-to-end checks, run concurrently as steps of one test (each is mostly waiting). */
const checks: Record<string, () => Promise<void>> = {};

function check(name: string, fn: () => Promise<void>): void {
  checks[name] = fn;
}

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
