/**
 * OIDC identity end to end: a real provider (npm `oidc-provider`, child process) issues tokens
 * over HTTP (authorization code + PKCE, signed in by a scripted browser); jmp-controller trusts it
 * through upstream's AuthenticationConfiguration (`--auth-config`); a client bound with
 * `jmp admin create client --oidc-username` leases and runs `j` in `jmp shell` with that token.
 * Tokens of an untrusted issuer, for another audience, expired, or of an unbound user are refused
 * with a clear message that the controller logs.
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, assertOutput, describe, jmp, spawnJmp, tempDir } from "./_helpers.ts";
import { makeExporter, startController, untilExporter, withToken } from "./_distributed.ts";
import {
  authConfigYaml,
  loginWithCode,
  startProvider,
  USERNAME_PREFIX,
} from "./_testing/oidc_lab.ts";

// three providers, a controller, an exporter and several jmp runs on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

/** Creates client NAME bound to OIDC user `user` and writes its config to DIR/NAME.yaml. */
async function makeOidcClient(adminConfig: string, dir: string, name: string, user: string) {
  const path = `${dir}/${name}.yaml`;
  const created = await jmp([
    "admin",
    "create",
    "client",
    name,
    "--admin-config",
    adminConfig,
    "--oidc-username",
    `${USERNAME_PREFIX}${user}`,
    "--unsafe",
    "--out",
    path,
  ]);
  assertExit(created, 0);
  return path;
}

/** Seconds until `token` expires (negative once it has). */
function secondsLeft(token: string): number {
  return (jose.decodeJwt(token).exp ?? 0) - Date.now() / 1000;
}

Deno.test("oidc: a bound client leases with a provider's token; bad tokens are refused", async (t) => {
  await using dir = await tempDir();
  const [trusted, shortLived, otherAudience] = await Promise.all([
    startProvider({ accessTokenSeconds: 600 }),
    startProvider({ accessTokenSeconds: 2 }),
    startProvider({ accessTokenSeconds: 600, audience: "elsewhere" }),
  ]);
  await using _trusted = trusted;
  await using _shortLived = shortLived;
  await using _otherAudience = otherAudience;
  const authConfig = `${dir.path}/auth.yaml`;
  // the three issuers are trusted for audience "jumpstarter"; the third issues for "elsewhere"
  await Deno.writeTextFile(
    authConfig,
    [trusted, shortLived, otherAudience].map((p, i) => {
      const yaml = authConfigYaml(p.issuer);
      return i === 0 ? yaml : yaml.slice(yaml.indexOf("  - issuer:"));
    }).join(""),
  );
  const controller = await startController(`${dir.path}/controller`, { authConfig });
  try {
    const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
      "board=virt",
    ]);
    const alice = await makeOidcClient(controller.adminConfig, dir.path, "alice", "alice");
    const shown = await jmp([
      "admin",
      "get",
      "client",
      "alice",
      "--admin-config",
      controller.adminConfig,
      "-o",
      "json",
    ]);
    assertExit(shown, 0);
    assert.equal(
      JSON.parse(shown.stdout)[0]?.oidcUsername,
      `${USERNAME_PREFIX}alice`,
      describe(shown),
    );
    await using _exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    await untilExporter(alice, "bench1");

    const tokens = await loginWithCode(trusted.issuer, "alice");
    const aliceOidc = await withToken(alice, tokens.accessToken, `${dir.path}/alice-oidc.yaml`);

    await t.step("the provider's token leases the board and j runs in jmp shell", async () => {
      const result = await jmp(
        ["shell", "--client-config", aliceOidc, "-l", "board=virt", "--", "j", "power", "on"],
        { timeoutMs: 90_000 },
      );
      assertExit(result, 0);
      assertOutput(result, "stderr", "acquired: exporter bench1");
      const leases = await jmp(["get", "leases", "--client-config", aliceOidc, "-o", "json"]);
      assertExit(leases, 0);
    });

    /** `jmp get leases` with `token` as alice: must fail naming `reason`, logged by the controller. */
    const refused = async (token: string, reason: string | RegExp) => {
      const config = await withToken(alice, token, `${dir.path}/alice-bad.yaml`);
      const result = await jmp(["get", "leases", "--client-config", config]);
      assert.notEqual(result.code, 0, describe(result));
      assert.match(result.stderr, typeof reason === "string" ? new RegExp(reason) : reason);
      assert.equal(result.stderr.trim().split("\n").length, 1, `one line:\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, /^\s+at /m, `a stack trace:\n${result.stderr}`);
    };

    await t.step("a token of an issuer the controller does not trust is refused", async () => {
      const { privateKey } = await jose.generateKeyPair("ES256");
      const foreign = await new jose.SignJWT({ "preferred_username": "alice" })
        .setProtectedHeader({ alg: "ES256" })
        .setIssuer("http://127.0.0.1:9/untrusted")
        .setAudience("jumpstarter")
        .setExpirationTime("10m")
        .sign(privateKey);
      await refused(foreign, /token issuer "http:\/\/127\.0\.0\.1:9\/untrusted" is not trusted/);
    });

    await t.step("a token for another audience is refused", async () => {
      const other = await loginWithCode(otherAudience.issuer, "alice");
      await refused(other.accessToken, /token audience "elsewhere" is not accepted/);
    });

    await t.step("an expired token is refused", async () => {
      const short = await loginWithCode(shortLived.issuer, "alice");
      // its expiry is the event waited for: one second past `exp`
      await new Promise((resolve) =>
        setTimeout(resolve, (secondsLeft(short.accessToken) + 1) * 1000)
      );
      await refused(short.accessToken, /token is expired/);
    });

    await t.step("a valid token of a user not bound to the client is refused", async () => {
      const mallory = await loginWithCode(trusted.issuer, "mallory");
      await refused(mallory.accessToken, /OIDC user "oidc:mallory" is not bound to client/);
    });

    await t.step("the controller logged each refusal", () => {
      const log = controller.stderr();
      for (const part of ["is not trusted", "is not accepted", "token is expired"]) {
        assert.match(log, new RegExp(`Authentication failed from .*${part}`), log);
      }
    });
  } finally {
    await controller.stop();
  }
});
