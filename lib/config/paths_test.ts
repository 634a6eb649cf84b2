import assert from "node:assert/strict";
import {
  aliasFromPath,
  clientConfigPath,
  configHome,
  exporterConfigCandidates,
  userConfigPath,
} from "./paths.ts";

Deno.test("config home: JMP_CLIENT_CONFIG_HOME, then XDG_CONFIG_HOME, then ~/.config", () => {
  const all = { JMP_CLIENT_CONFIG_HOME: "/jmp", XDG_CONFIG_HOME: "/xdg", HOME: "/home/a" };
  assert.equal(configHome(all), "/jmp");
  assert.equal(configHome({ ...all, JMP_CLIENT_CONFIG_HOME: undefined }), "/xdg/jumpstarter");
  assert.equal(configHome({ HOME: "/home/a" }), "/home/a/.config/jumpstarter");
  // Empty variables count as unset, as XDG asks.
  assert.equal(
    configHome({ JMP_CLIENT_CONFIG_HOME: "", XDG_CONFIG_HOME: "", HOME: "/home/a" }),
    "/home/a/.config/jumpstarter",
  );
  assert.throws(() => configHome({}), /HOME/);
});

Deno.test("config home defaults to the process environment", () => {
  const expected = Deno.env.get("JMP_CLIENT_CONFIG_HOME") ||
    (Deno.env.get("XDG_CONFIG_HOME")
      ? `${Deno.env.get("XDG_CONFIG_HOME")}/jumpstarter`
      : `${Deno.env.get("HOME")}/.config/jumpstarter`);
  assert.equal(configHome(), expected);
});

Deno.test("client, exporter and user config paths", () => {
  const env = { XDG_CONFIG_HOME: "/xdg" };
  assert.equal(clientConfigPath("lab", env), "/xdg/jumpstarter/clients/lab.yaml");
  assert.deepEqual(exporterConfigCandidates("bench", env), [
    "/xdg/jumpstarter/exporters/bench.yaml",
    "/etc/jumpstarter/exporters/bench.yaml",
  ]);
  assert.equal(userConfigPath(env), "/xdg/jumpstarter/config.yaml");
});

Deno.test("aliases that would escape the config folder are refused", () => {
  for (const alias of ["", "../evil", "a/b", "a\\b", "lab.yaml"]) {
    assert.throws(() => clientConfigPath(alias, { HOME: "/h" }), TypeError, alias);
    assert.throws(() => exporterConfigCandidates(alias, { HOME: "/h" }), TypeError, alias);
  }
});

Deno.test("the alias of a file is its base name up to the first dot", () => {
  assert.equal(aliasFromPath("/etc/jumpstarter/exporters/bench.yaml"), "bench");
  assert.equal(aliasFromPath("examples/virtual-lab.local.yaml"), "virtual-lab");
  assert.equal(aliasFromPath("plain"), "plain");
});
