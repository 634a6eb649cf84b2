import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "./errors.ts";
import {
  defaultUserConfig,
  loadUserConfig,
  parseUserConfig,
  saveUserConfig,
} from "./user_config.ts";

Deno.test("a user config names the current client", () => {
  const text = `apiVersion: jumpstarter.dev/v1alpha1
kind: UserConfig
config:
  current-client: lab
`;
  const config = parseUserConfig(text, "config.yaml");
  assert.deepEqual(config, {
    apiVersion: "jumpstarter.dev/v1alpha1",
    kind: "UserConfig",
    config: { "current-client": "lab" },
  });
});

Deno.test("a user config without a current client defaults it to null", () => {
  const text = "apiVersion: jumpstarter.dev/v1alpha1\nkind: UserConfig\nconfig: {}\n";
  assert.deepEqual(parseUserConfig(text, "config.yaml"), defaultUserConfig());
});

Deno.test("a wrong current-client type is located", () => {
  const text =
    "apiVersion: jumpstarter.dev/v1alpha1\nkind: UserConfig\nconfig:\n  current-client: [a]\n";
  assert.throws(() => parseUserConfig(text, "config.yaml"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      "config.yaml:4:19: Expected a string, got a list at config.current-client",
    );
    return true;
  });
});

Deno.test("user config save then load round-trips", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "jumpstarter", "config.yaml");
    const config = { ...defaultUserConfig(), config: { "current-client": "lab" } };
    await saveUserConfig(config, path);
    assert.deepEqual(await loadUserConfig(path), config);
    assert.equal(
      await Deno.readTextFile(path),
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: UserConfig\nconfig:\n  current-client: lab\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
