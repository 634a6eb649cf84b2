import assert from "node:assert/strict";
import { join } from "node:path";
import { Command } from "commander";
import { ConfigError, type Env, saveUserConfig } from "@jumpstarter/lib/config";
import { JumpstarterError } from "@jumpstarter/lib/wire";
import {
  addClientSelectorOptions,
  type ClientSelector,
  resolveClientConfig,
  validAlias,
} from "./config_selection.ts";
import { UsageError } from "./errors.ts";

function clientYaml(name: string, endpoint: string): string {
  return [
    "apiVersion: jumpstarter.dev/v1alpha1",
    "kind: ClientConfig",
    `metadata: {namespace: lab, name: ${name}}`,
    `endpoint: ${endpoint}`,
    "token: secret",
    "",
  ].join("\n");
}

async function withHome(
  fn: (home: string, env: Env) => Promise<void>,
): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "jmp-selection-" });
  try {
    await Deno.mkdir(join(home, "clients"));
    await Deno.writeTextFile(join(home, "clients", "alpha.yaml"), clientYaml("a", "a.example:443"));
    await Deno.writeTextFile(join(home, "clients", "beta.yaml"), clientYaml("b", "b.example:443"));
    await fn(home, { JMP_CLIENT_CONFIG_HOME: home });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function setCurrent(home: string, alias: string | null): Promise<void> {
  await saveUserConfig({
    apiVersion: "jumpstarter.dev/v1alpha1",
    kind: "UserConfig",
    config: { "current-client": alias },
  }, join(home, "config.yaml"));
}

Deno.test("--client loads <home>/clients/ALIAS.yaml", () =>
  withHome(async (home, env) => {
    const config = await resolveClientConfig({ client: "beta" }, { env });
    assert.equal(config.alias, "beta");
    assert.equal(config.path, join(home, "clients", "beta.yaml"));
    assert.equal(config.endpoint, "b.example:443");
  }));

Deno.test("--client-config loads any file, its alias being the name up to the first dot", () =>
  withHome(async (home, env) => {
    const path = join(home, "my.lab.yaml");
    await Deno.writeTextFile(path, clientYaml("c", "c.example:443"));
    const config = await resolveClientConfig({ clientConfig: path }, { env });
    assert.equal(config.alias, "my");
    assert.equal(config.metadata.name, "c");
  }));

Deno.test("more than one selector is a usage error", () =>
  withHome(async (_home, env) => {
    await assert.rejects(
      resolveClientConfig({ client: "alpha", clientConfig: "/x.yaml" }, { env }),
      new UsageError("only one of --client, --client-config should be specified"),
    );
    await assert.rejects(
      resolveClientConfig({ client: "alpha" }, {
        env,
        otherSelectors: ["--exporter", "--exporter-config"],
        otherSelectorsGiven: 1,
      }),
      new UsageError(
        "only one of --client, --client-config, --exporter, --exporter-config should be specified",
      ),
    );
  }));

Deno.test("an env-only client comes before the current client", () =>
  withHome(async (home, env) => {
    await setCurrent(home, "alpha");
    const config = await resolveClientConfig({}, {
      env: { ...env, JMP_NAME: "n", JMP_NAMESPACE: "ns", JMP_ENDPOINT: "e:1", JMP_TOKEN: "t" },
    });
    assert.equal(config.path, null);
    assert.equal(config.alias, "default");
    assert.deepEqual(config.metadata, { namespace: "ns", name: "n" });
    assert.equal(config.endpoint, "e:1");
  }));

Deno.test("an env-only client needs both JMP_NAME and JMP_NAMESPACE", () =>
  withHome(async (home, env) => {
    await setCurrent(home, "alpha");
    const config = await resolveClientConfig({}, { env: { ...env, JMP_NAME: "n" } });
    assert.equal(config.alias, "alpha");
  }));

Deno.test("environment variables do not patch a selected file", () =>
  withHome(async (_home, env) => {
    const config = await resolveClientConfig({ client: "alpha" }, {
      env: { ...env, JMP_ENDPOINT: "other:1", JMP_NAME: "n", JMP_NAMESPACE: "ns" },
    });
    assert.equal(config.endpoint, "a.example:443");
  }));

Deno.test("without selector or environment, the current client is used", () =>
  withHome(async (home, env) => {
    await setCurrent(home, "beta");
    assert.equal((await resolveClientConfig({}, { env })).alias, "beta");
  }));

Deno.test("nothing selected is an error naming the selectors", () =>
  withHome(async (home, env) => {
    const message = "none of --client, --client-config is specified, and default config is not set";
    await assert.rejects(resolveClientConfig({}, { env }), new JumpstarterError(message));
    // a current client whose file is gone counts as unset
    await setCurrent(home, "gone");
    await assert.rejects(resolveClientConfig({}, { env }), new JumpstarterError(message));
    await assert.rejects(
      resolveClientConfig({}, { env, otherSelectors: ["--exporter", "--exporter-config"] }),
      new JumpstarterError(
        "none of --client, --client-config, --exporter, --exporter-config is specified, and default config is not set",
      ),
    );
  }));

Deno.test("an unknown alias is an error naming the missing file", () =>
  withHome(async (home, env) => {
    const path = join(home, "clients", "nope.yaml");
    await assert.rejects(
      resolveClientConfig({ client: "nope" }, { env }),
      new JumpstarterError(`Client config '${path}' does not exist.`),
    );
  }));

Deno.test("a malformed alias is a usage error", async () => {
  await assert.rejects(
    resolveClientConfig({ client: "../x" }, { env: { JMP_CLIENT_CONFIG_HOME: "/nonexistent" } }),
    UsageError,
  );
  assert.throws(() => validAlias("a/b", "ALIAS"), /^UsageError: Invalid value for 'ALIAS'/);
  assert.equal(validAlias("lab-1", "ALIAS"), "lab-1");
});

Deno.test("an invalid selected file is a located ConfigError", () =>
  withHome(async (home, env) => {
    const path = join(home, "bad.yaml");
    await Deno.writeTextFile(path, clientYaml("c", "c:1") + "bogus: 1\n");
    await assert.rejects(
      resolveClientConfig({ clientConfig: path }, { env }),
      (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${path}:6:1:`),
    );
  }));

Deno.test("addClientSelectorOptions adds --client and --client-config", async () => {
  let seen: ClientSelector | undefined;
  const command = addClientSelectorOptions(new Command("x"))
    .exitOverride()
    .action((flags: ClientSelector) => {
      seen = flags;
    });
  await command.parseAsync(["--client", "a", "--client-config", "b.yaml"], { from: "user" });
  assert.deepEqual(seen, { client: "a", clientConfig: "b.yaml" });
});
