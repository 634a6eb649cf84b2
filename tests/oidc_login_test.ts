/**
 * `jmp login` against a real provider (npm `oidc-provider`, child process): the default browser
 * flow (authorization code + PKCE, the browser scripted over HTTP to jmp's local callback),
 * `--device-flow`, `--token` (token exchange) and `--username/--password`, each writing a client config that
 * leases through a controller trusting the provider; `jmp auth status|refresh`; and a `jmp shell`
 * whose access token expires during the session and is refreshed without interrupting it.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import * as jose from "jose";
import { fileDeadline } from "@jumpstarter/lib/testing";
import {
  assertExit,
  assertOutput,
  describe,
  jmp,
  run,
  spawnJmp,
  tempDir,
  withTimeout,
} from "./_helpers.ts";
import { makeExporter, startController, until, untilExporter } from "./_distributed.ts";
import {
  authConfigYaml,
  loginWithCode,
  startProvider,
  USERNAME_PREFIX,
} from "./_testing/oidc_lab.ts";
import { signIn } from "./_testing/oidc_browser.ts";
import { upstreamPeer } from "./upstream/_peer.ts";
import { peerEnv } from "./upstream/_lab.ts";

fileDeadline(import.meta.url, 300_000);

/** Access tokens live this long, so that a short shell outlives one. */
const TOKEN_SECONDS = 6;

interface WrittenConfig {
  metadata: { namespace: string; name: string };
  endpoint: string;
  tls: { ca: string; insecure: boolean };
  token: string;
  "refresh_token"?: string;
  drivers: { allow: string[]; unsafe: boolean };
}

async function readConfig(path: string): Promise<WrittenConfig> {
  return parse(await Deno.readTextFile(path)) as WrittenConfig;
}

Deno.test("oidc: jmp login flows, jmp auth, and a token refreshed during jmp shell", async (t) => {
  await using dir = await tempDir();
  await using provider = await startProvider({
    accessTokenSeconds: TOKEN_SECONDS,
    users: { bob: "bob-secret" },
  });
  const authConfig = `${dir.path}/auth.yaml`;
  await Deno.writeTextFile(authConfig, authConfigYaml(provider.issuer));
  const controller = await startController(`${dir.path}/controller`, { authConfig });
  try {
    const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    for (const user of ["alice", "bob"]) {
      const created = await jmp([
        "admin",
        "create",
        "client",
        user,
        "--admin-config",
        controller.adminConfig,
        "--oidc-username",
        `${USERNAME_PREFIX}${user}`,
        "--unsafe",
        "--out",
        `${dir.path}/${user}-admin.yaml`,
      ]);
      assertExit(created, 0);
    }
    await using _exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    /** What a new config needs: the controller, the identity, the issuer; no prompts. */
    const newConfigFlags = (name: string) => [
      "--endpoint",
      controller.endpoint,
      "--namespace",
      "default",
      "--name",
      name,
      "--issuer",
      provider.issuer,
      "--unsafe",
      "-k",
      "--nointeractive",
    ];
    const alice = `${dir.path}/alice.yaml`;

    await t.step(
      "the browser flow: PKCE, the local callback, a config as upstream writes",
      async () => {
        await using login = spawnJmp([
          "login",
          "--client-config",
          alice,
          ...newConfigFlags("alice"),
        ]);
        const line = await withTimeout(login.firstLine, 30_000, "jmp login to print the URL");
        const url = /Please open the URL in browser:\s+(\S+)/.exec(line)?.[1];
        assert.ok(url, `no URL in ${JSON.stringify(line)}`);
        const authorize = new URL(url);
        assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
        assert.match(
          authorize.searchParams.get("redirect_uri") ?? "",
          /^http:\/\/localhost:\d+\/callback$/,
        );
        await signIn(url, "alice", "http://localhost:", { deliver: true });
        const result = await login.wait(30_000);
        assertExit(result, 0);
        const config = await readConfig(alice);
        assert.deepEqual(config.metadata, { namespace: "default", name: "alice" });
        assert.deepEqual(config.tls, { ca: "", insecure: true });
        assert.equal(config.endpoint, controller.endpoint);
        assert.equal(jose.decodeJwt(config.token).iss, provider.issuer);
        assert.equal(jose.decodeJwt(config.token).preferred_username, "alice");
        assert.ok(config.refresh_token, "no refresh_token written");
        await untilExporter(alice, "bench1");
      },
    );

    await t.step(
      "jmp auth status reads the token; upstream's jmp reads the same config",
      async () => {
        const status = await jmp(["auth", "status", "--client-config", alice, "-v"]);
        assertExit(status, 0);
        // a 6 s token is always "expiring soon" (under 5 min)
        assertOutput(status, "stdout", "Status: EXPIRING SOON");
        assertOutput(status, "stdout", `Issuer: ${provider.issuer}`);
        assertOutput(status, "stdout", "Refresh token stored: yes");
        const peer = upstreamPeer("head");
        const theirs = await run(
          peer.jmp,
          ["auth", "status", "--client-config", alice, "-v"],
          peerEnv(peer),
        );
        assertExit(theirs, 0);
        assertOutput(theirs, "stdout", `Issuer: ${provider.issuer}`);
        assertOutput(theirs, "stdout", "Refresh token stored: yes");
      },
    );

    await t.step("jmp auth refresh replaces the token with the refresh token", async () => {
      const before = await readConfig(alice);
      const refreshed = await jmp(["auth", "refresh", "--client-config", alice]);
      assertExit(refreshed, 0);
      assertOutput(refreshed, "stdout", "Access token refreshed.");
      const after = await readConfig(alice);
      assert.notEqual(after.token, before.token);
      assert.equal(jose.decodeJwt(after.token).preferred_username, "alice");
    });

    await t.step("jmp shell outlives its access token: refreshed, not interrupted", async () => {
      const { token } = await readConfig(alice);
      const exp = jose.decodeJwt(token).exp!;
      // j, then wait for the config's token to be replaced and for the old one to expire, then j
      // again and a controller call from inside the session
      const script = [
        "j power on",
        `while grep -q '${token}' '${alice}'; do sleep 0.2; done`,
        `while [ "$(date +%s)" -le ${exp} ]; do sleep 0.2; done`,
        "j power off",
        "echo second-call-done",
      ].join(" && ");
      const result = await jmp(
        ["shell", "--client-config", alice, "-l", "board=virt", "--", "sh", "-c", script],
        { timeoutMs: 90_000 },
      );
      assertExit(result, 0);
      assertOutput(result, "stdout", "second-call-done");
      const after = await readConfig(alice);
      assert.notEqual(after.token, token, describe(result));
      assert.ok(Date.now() / 1000 > exp, "the first token had not expired yet");
      assert.doesNotMatch(controller.stderr(), /Authentication failed/);
    });

    await t.step("--device-flow: the code confirmed in a browser elsewhere", async () => {
      const path = `${dir.path}/alice-device.yaml`;
      await using login = spawnJmp([
        "login",
        "--client-config",
        path,
        "--device-flow",
        ...newConfigFlags("alice"),
      ]);
      let url: string | undefined;
      await until("jmp login to print the verification URL", () => {
        url = /^\s+(http\S+)$/m.exec(login.printed().stdout)?.[1];
        return Promise.resolve(url !== undefined);
      });
      await signIn(url!, "alice", "http://never/");
      const result = await login.wait(60_000);
      assertExit(result, 0);
      assertOutput(result, "stdout", "Waiting for authentication...");
      const config = await readConfig(path);
      assert.equal(jose.decodeJwt(config.token).preferred_username, "alice");
      assertExit(await jmp(["get", "leases", "--client-config", path]), 0);
    });

    await t.step("--token exchanges another client's ID token", async () => {
      const { idToken } = await loginWithCode(provider.issuer, "alice");
      assert.ok(idToken, "the provider gave no ID token");
      const path = `${dir.path}/alice-exchanged.yaml`;
      const login = await jmp([
        "login",
        "--client-config",
        path,
        "--token",
        idToken,
        ...newConfigFlags("alice"),
      ]);
      assertExit(login, 0);
      const config = await readConfig(path);
      assert.equal(jose.decodeJwt(config.token).preferred_username, "alice");
      assertExit(await jmp(["get", "leases", "--client-config", path]), 0);
    });

    await t.step(
      "--username/--password uses the password grant; a wrong password is refused",
      async () => {
        const path = `${dir.path}/bob.yaml`;
        const wrong = await jmp([
          "login",
          "--client-config",
          path,
          "--username",
          "bob",
          "--password",
          "nope",
          ...newConfigFlags("bob"),
        ]);
        assert.notEqual(wrong.code, 0, describe(wrong));
        assertOutput(wrong, "stderr", "the password grant failed");
        assertOutput(wrong, "stderr", "invalid_grant");
        assert.equal(wrong.stderr.trim().split("\n").length, 1, describe(wrong));
        const login = await jmp([
          "login",
          "--client-config",
          path,
          "--username",
          "bob",
          "--password",
          "bob-secret",
          ...newConfigFlags("bob"),
        ]);
        assertExit(login, 0);
        assertExit(await jmp(["get", "leases", "--client-config", path]), 0);
      },
    );

    await t.step(
      "an existing config (jmp admin's, with the CA) keeps all but its tokens",
      async () => {
        const path = `${dir.path}/bob-admin.yaml`;
        const before = await readConfig(path);
        const login = await jmp([
          "login",
          "--client-config",
          path,
          "--issuer",
          provider.issuer,
          "--username",
          "bob",
          "--password",
          "bob-secret",
        ]);
        assertExit(login, 0);
        const after = await readConfig(path);
        assert.deepEqual({ ...after, token: "", "refresh_token": "" }, {
          ...before,
          token: "",
          "refresh_token": "",
        });
        assert.equal(jose.decodeJwt(after.token).iss, provider.issuer);
        assert.ok(after.refresh_token);
        assertExit(await jmp(["get", "leases", "--client-config", path]), 0);
      },
    );

    await t.step("bad input: one clear line, nothing written", async () => {
      const path = `${dir.path}/never.yaml`;
      const missing = await jmp(["login", "--client-config", path, "--nointeractive", "--unsafe"]);
      assertExit(missing, 2);
      assertOutput(missing, "stderr", "Missing options '--namespace', '--name', '--endpoint'");
      const port = await jmp(["login", "--callback-port", "70000"]);
      assertExit(port, 2);
      assertOutput(port, "stderr", "'--callback-port': 70000 is not in 0..65535");
      const flags = newConfigFlags("alice").map((f) =>
        f === provider.issuer ? "http://127.0.0.1:9" : f
      );
      const unreachable = await jmp(["login", "--client-config", path, "--token", "x", ...flags]);
      assertExit(unreachable, 1);
      assertOutput(
        unreachable,
        "stderr",
        "cannot reach http://127.0.0.1:9/.well-known/openid-configuration",
      );
      for (const result of [missing, port, unreachable]) {
        assert.equal(result.stderr.trim().split("\n").length, 1, describe(result));
      }
      assert.equal(await Deno.stat(path).then(() => true, () => false), false);
    });
  } finally {
    await controller.stop();
  }
});
