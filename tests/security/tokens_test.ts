/**
 * Issue 10 items 6 and 7 against a real jmp-controller: RotateToken revokes the token it was called
 * with (raw calls, and upstream HEAD's `jmp auth rotate`); forged tokens are logged and paced;
 * namespaces must be DNS-1123 labels; a router token already used for a tunnel is refused at once
 * instead of parking.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as jose from "jose";
import {
  assertExit,
  assertNoStackTrace,
  describe,
  jmp,
  run,
  tempDir,
  withTimeout,
} from "../_helpers.ts";
import { upstreamPeer } from "../upstream/_peer.ts";
import {
  type ControllerProcess,
  identityMetadata,
  makeClient,
  rawChannel,
  readCredentials,
  rejection,
  routerStreamStatus,
  startController,
  until,
} from "../_distributed.ts";

const { UNAUTHENTICATED, PERMISSION_DENIED } = grpc.status;

async function withController(body: (controller: ControllerProcess, dir: string) => Promise<void>) {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  try {
    await body(controller, dir.path);
  } finally {
    await controller.stop();
  }
}

Deno.test("security item 6: RotateToken revokes the token it was called with", async () => {
  await withTimeout(
    withController(async (controller, dir) => {
      const alice = await readCredentials(await makeClient(controller.adminConfig, dir, "alice"));
      const as = (token: string) =>
        rawChannel(alice.endpoint, alice.ca, identityMetadata({ ...alice, token }, "Client"));
      const parent = { parent: "namespaces/default" };

      using first = await as(alice.token);
      const { token: second } = await first.clients.rotateToken(parent);
      assert.notEqual(second, alice.token);
      const old = await rejection(
        "ListLeases with the rotated token",
        first.clients.listLeases(parent),
      );
      assert.equal(old.code, UNAUTHENTICATED, old.details);
      assert.match(old.details, /revoked/);
      // the old token cannot mint another either
      const again = await rejection(
        "RotateToken with the rotated token",
        first.clients.rotateToken(parent),
      );
      assert.equal(again.code, UNAUTHENTICATED, again.details);

      // the new token works, and rotating with it revokes it in turn
      using next = await as(second);
      await next.clients.listLeases(parent);
      const { token: third } = await next.clients.rotateToken(parent);
      const revoked = await rejection(
        "ListLeases with the second token",
        next.clients.listLeases(parent),
      );
      assert.equal(revoked.code, UNAUTHENTICATED, revoked.details);
      using last = await as(third);
      await last.clients.listLeases(parent);

      // upstream HEAD's `jmp auth rotate` (it saves the new token under $HOME, whatever
      // --client-config says): its old token is refused, the saved one works
      const head = upstreamPeer("head");
      const home = `${dir}/home`;
      const bob = await makeClient(controller.adminConfig, dir, "bob");
      const env = { ...head.env, HOME: home, NO_COLOR: "1" };
      const rotated = await run(head.jmp, ["auth", "rotate", "--client-config", bob], {
        env,
        timeoutMs: 30_000,
      });
      assertExit(rotated, 0);
      assert.match(rotated.stdout, /Token rotated/, describe(rotated));
      const saved = `${home}/.config/jumpstarter/clients/bob.yaml`;
      const stale = await run(head.jmp, ["get", "leases", "--client-config", bob], {
        env,
        timeoutMs: 30_000,
      });
      assert.notEqual(stale.code, 0, describe(stale));
      assert.match(stale.stdout + stale.stderr, /revoked/, describe(stale));
      assertExit(
        await run(head.jmp, ["get", "leases", "--client-config", saved], {
          env,
          timeoutMs: 30_000,
        }),
        0,
      );
    }),
    100_000,
    "token rotation against a controller",
  );
});

Deno.test("security item 6: two concurrent RotateToken with one token: exactly one wins", async () => {
  await withTimeout(
    withController(async (controller, dir) => {
      const alice = await readCredentials(await makeClient(controller.adminConfig, dir, "alice"));
      const as = (token: string) =>
        rawChannel(alice.endpoint, alice.ca, identityMetadata({ ...alice, token }, "Client"));
      const parent = { parent: "namespaces/default" };
      using a = await as(alice.token);
      using b = await as(alice.token);
      // both channels authenticated once, so the two rotations leave together
      await Promise.all([a.clients.listLeases(parent), b.clients.listLeases(parent)]);
      const outcomes = await Promise.allSettled([
        a.clients.rotateToken(parent),
        b.clients.rotateToken(parent),
      ]);
      const won = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const lost = outcomes.filter((outcome) => outcome.status === "rejected");
      assert.equal(
        won.length,
        1,
        `one rotation wins: ${JSON.stringify(outcomes.map((o) => o.status))}`,
      );
      const refusal = (lost[0] as PromiseRejectedResult).reason as {
        code: number;
        details: string;
      };
      assert.ok([UNAUTHENTICATED, PERMISSION_DENIED].includes(refusal.code), refusal.details);
      assert.match(refusal.details, /revoked/);

      // the old token is revoked, the winner's new one works
      const old = await rejection(
        "ListLeases with the rotated token",
        a.clients.listLeases(parent),
      );
      assert.equal(old.code, UNAUTHENTICATED, old.details);
      using next = await as((won[0] as PromiseFulfilledResult<{ token: string }>).value.token);
      await next.clients.listLeases(parent);
    }),
    60_000,
    "concurrent token rotation",
  );
});

Deno.test("security item 7: forged tokens are logged and paced", async () => {
  await withTimeout(
    withController(async (controller, dir) => {
      const alice = await readCredentials(await makeClient(controller.adminConfig, dir, "alice"));
      const forged = await new jose.SignJWT({})
        .setProtectedHeader({ alg: "ES256" })
        .setIssuer("jmp-controller")
        .setAudience("jumpstarter")
        .setSubject(jose.decodeJwt(alice.token).sub!)
        .setExpirationTime("1h")
        .sign((await jose.generateKeyPair("ES256")).privateKey);
      using channel = await rawChannel(
        alice.endpoint,
        alice.ca,
        identityMetadata({ ...alice, token: forged }, "Client"),
      );
      const attempts = 40;
      const started = performance.now();
      const failures = await Promise.all(
        Array.from(
          { length: attempts },
          () =>
            rejection(
              "forged ListLeases",
              channel.clients.listLeases({ parent: "namespaces/default" }),
            ),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      for (const failure of failures) assert.equal(failure.code, UNAUTHENTICATED, failure.details);
      const rate = attempts / seconds;
      console.log(
        `forged tokens refused: ${rate.toFixed(1)}/s (${attempts} in ${seconds.toFixed(2)} s)`,
      );
      assert.ok(rate < 30, `forged tokens are refused at ${rate.toFixed(0)}/s: not paced`);
      await until(
        "the controller logs the failures",
        () => Promise.resolve(/Authentication failed.*invalid token/.test(controller.stderr())),
      );
      // a genuine caller is not queued behind a flood it did not cause: it is answered while
      // the flood's refusals are still being paced out
      using genuine = await rawChannel(alice.endpoint, alice.ca, identityMetadata(alice, "Client"));
      let refusedSoFar = 0;
      const flood = Array.from(
        { length: attempts },
        () =>
          channel.clients.listLeases({ parent: "namespaces/default" }).catch(() => refusedSoFar++),
      );
      await genuine.clients.listLeases({ parent: "namespaces/default" });
      assert.ok(refusedSoFar < attempts, "the valid call was answered only after the whole flood");
      await Promise.all(flood);
    }),
    60_000,
    "forged-token pacing",
  );
});

Deno.test("security item 7: namespaces that are not DNS-1123 labels are refused", async () => {
  await withTimeout(
    withController(async (controller) => {
      for (const namespace of ["../x", "a/b", "UPPER", "-dash", "x".repeat(64)]) {
        const result = await jmp([
          "admin",
          "create",
          "client",
          "eve",
          "--admin-config",
          controller.adminConfig,
          "--namespace",
          namespace,
        ]);
        assertExit(result, 1);
        assert.match(result.stderr, /^Error: invalid namespace .*DNS-1123/m, describe(result));
        assertNoStackTrace(result);
      }
      const fine = await jmp([
        "admin",
        "create",
        "client",
        "eve",
        "--admin-config",
        controller.adminConfig,
        "--namespace",
        "lab-2",
      ]);
      assertExit(fine, 0);
    }),
    90_000,
    "namespace validation",
  );
});

Deno.test("security item 7: a replayed router token is refused at once", async () => {
  await withTimeout(
    withController(async (controller) => {
      const admin = await readCredentials(controller.adminConfig);
      const keys = JSON.parse(await Deno.readTextFile(`${controller.stateDir}/keys.json`));
      const token = await new jose.SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://jumpstarter.dev/stream")
        .setAudience("https://jumpstarter.dev/router")
        .setSubject(crypto.randomUUID())
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime("5m")
        .sign(jose.base64url.decode(keys.routerSecret));
      using channel = await rawChannel(admin.endpoint, admin.ca);
      // the two ends of one tunnel pair: each gets the router's headers
      const ends = [
        channel.routerStream(`Bearer ${token}`),
        channel.routerStream(`Bearer ${token}`),
      ];
      await Promise.all(ends.map((end) =>
        new Promise<void>((resolve, reject) => {
          end.once("metadata", () => resolve());
          end.once("error", reject);
        })
      ));
      const started = performance.now();
      const replay = await routerStreamStatus(channel.routerStream(`Bearer ${token}`));
      const waited = performance.now() - started;
      assert.equal(replay.code, PERMISSION_DENIED, replay.details);
      assert.match(replay.details, /already used/);
      // a parked stream would get no status at all: routerStreamStatus would time out
      console.log(`replayed router token refused after ${waited.toFixed(0)} ms`);
      for (const end of ends) end.cancel();
    }),
    60_000,
    "router token replay",
  );
});
