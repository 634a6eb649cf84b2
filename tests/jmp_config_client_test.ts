/**
 * `jmp config client ...` end to end: create, list and select client configs in a private config
 * home (`JMP_CLIENT_CONFIG_HOME`), checking the files the CLI leaves.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { loadClientConfig } from "@jumpstarter/lib/config";
import {
  assertExit,
  assertNoStackTrace,
  assertOutput,
  concurrently,
  exists,
  listDir,
} from "./_helpers.ts";
import { clientArgs, currentClient, keyTree, mode, ok, withHome } from "./_jmp_config.ts";

/** The end-to-end checks, run concurrently as steps of one test (each is mostly waiting). */
const checks: Record<string, () => Promise<void>> = {};

function check(name: string, fn: () => Promise<void>): void {
  checks[name] = fn;
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

Deno.test("jmp config client end to end", (t) => concurrently(t, checks));
