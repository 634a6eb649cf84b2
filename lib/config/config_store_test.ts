import assert from "node:assert/strict";
import { join } from "node:path";
import {
  currentClientAlias,
  listClientConfigFiles,
  listExporterConfigFiles,
  loadUserConfigOrDefault,
  saveNewExporterConfig,
  setCurrentClient,
  stringifyNewExporterConfig,
} from "./config_store.ts";
import { loadExporterConfig } from "./exporter_config.ts";
import type { Env } from "./paths.ts";
import { defaultUserConfig } from "./user_config.ts";

async function withHome(fn: (home: string, env: Env) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "jmp-store-" });
  try {
    await fn(home, { JMP_CLIENT_CONFIG_HOME: home });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("listClientConfigFiles lists *.yaml in name order, alias up to the first dot", () =>
  withHome(async (home, env) => {
    assert.deepEqual(await listClientConfigFiles(env), []);
    const dir = join(home, "clients");
    await Deno.mkdir(dir);
    for (const name of ["b.yaml", "a.lab.yaml", "notes.txt", "c.yml"]) {
      await Deno.writeTextFile(join(dir, name), "");
    }
    await Deno.mkdir(join(dir, "d.yaml"));
    assert.deepEqual(await listClientConfigFiles(env), [
      { alias: "a", path: join(dir, "a.lab.yaml") },
      { alias: "b", path: join(dir, "b.yaml") },
    ]);
  }));

Deno.test("listExporterConfigFiles merges the system directory; the user's file wins", () =>
  withHome(async (home, env) => {
    const system = join(home, "etc");
    const user = join(home, "exporters");
    await Deno.mkdir(system);
    await Deno.mkdir(user);
    for (const name of ["shared.yaml", "sys.yaml"]) {
      await Deno.writeTextFile(join(system, name), "");
    }
    for (const name of ["shared.yaml", "mine.yaml"]) await Deno.writeTextFile(join(user, name), "");
    assert.deepEqual(await listExporterConfigFiles(env, system), [
      { alias: "mine", path: join(user, "mine.yaml") },
      { alias: "shared", path: join(user, "shared.yaml") },
      { alias: "sys", path: join(system, "sys.yaml") },
    ]);
    assert.deepEqual(await listExporterConfigFiles(env, join(home, "missing")), [
      { alias: "mine", path: join(user, "mine.yaml") },
      { alias: "shared", path: join(user, "shared.yaml") },
    ]);
  }));

Deno.test("the current client: unset without a user config, set, and null when its file is gone", () =>
  withHome(async (home, env) => {
    assert.deepEqual(await loadUserConfigOrDefault(env), defaultUserConfig());
    assert.equal(await currentClientAlias(env), null);

    await setCurrentClient("lab", env);
    assert.equal((await loadUserConfigOrDefault(env)).config["current-client"], "lab");
    assert.equal(await currentClientAlias(env), null); // no clients/lab.yaml yet

    await Deno.mkdir(join(home, "clients"));
    await Deno.writeTextFile(join(home, "clients", "lab.yaml"), "");
    assert.equal(await currentClientAlias(env), "lab");
    assert.equal((await Deno.stat(join(home, "config.yaml"))).mode! & 0o777, 0o600);

    await setCurrentClient(null, env);
    assert.equal(await currentClientAlias(env), null);
  }));

Deno.test("a new exporter config has an empty driver tree and loads back", () =>
  withHome(async (home) => {
    const config = { namespace: "ns", name: "n", endpoint: null, token: "t", insecure: true };
    assert.match(stringifyNewExporterConfig(config), /^export: \{\}$/m);
    const path = join(home, "exporters", "lab.yaml");
    await saveNewExporterConfig(config, path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const loaded = await loadExporterConfig(path);
    assert.equal(loaded.alias, "lab");
    assert.deepEqual(loaded.metadata, { namespace: "ns", name: "n" });
    assert.equal(loaded.token, "t");
    assert.equal(loaded.tls.insecure, true);
    assert.equal(loaded.export.size, 0);
  }));
