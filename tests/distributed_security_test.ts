/**
 * Distributed mode security: who may call what on a jmp-controller. Calls without a token, with
 * a token of another controller, with the wrong kind of token, on somebody else's lease, and
 * with the token of a deleted client must all be refused, with a clear error and no effect.
 * The CLI is used where it can express the attempt; raw gRPC (arbitrary metadata) elsewhere.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import * as jose from "jose";
import * as grpc from "@grpc/grpc-js";
import {
  assertExit,
  assertNoStackTrace,
  describe,
  exists,
  jmp,
  type RunResult,
  spawnJmp,
  tempDir,
} from "./_helpers.ts";
import {
  type CallFailure,
  getLeases,
  identityMetadata,
  makeClient,
  makeExporter,
  rawChannel,
  readCredentials,
  readyState,
  rejection,
  routerStreamStatus,
  startController,
  until,
  untilExporter,
  withToken,
} from "./_distributed.ts";

const { UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, UNKNOWN } = grpc.status;

function assertRefused(failure: CallFailure, code: number, details: string | RegExp): void {
  assert.equal(
    failure.code,
    code,
    `expected ${grpc.status[code]}, got ${grpc.status[failure.code]}: ${failure.details}`,
  );
  if (typeof details === "string") {
    assert.ok(failure.details.includes(details), `details: ${failure.details}`);
  } else assert.match(failure.details, details);
}

/** A CLI run refused by the controller: exit 1, `Error: ...details...`, no stack trace. */
function assertCliRefused(result: RunResult, details: string | RegExp): void {
  assertExit(result, 1);
  const pattern = typeof details === "string"
    ? new RegExp(`^Error: .*${details.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m")
    : details;
  assert.match(result.stderr, pattern, describe(result));
  assertNoStackTrace(result);
}

/** The first item of a server stream (to make a streaming call fail or succeed). */
async function first<T>(stream: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of stream) return item;
  return undefined;
}

const REPORT = { labels: {}, reports: [{ uuid: "00000000-0000-0000-0000-000000000001" }] };

// many subprocesses in a row: 116 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("security: the controller refuses what a caller may not do", async (t) => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const other = await startController(`${dir.path}/other`);
  const bench1 = await makeExporter(controller.adminConfig, dir.path, "bench1", ["board=virt"]);
  const bench2 = await makeExporter(controller.adminConfig, dir.path, "bench2", ["board=other"]);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  const bob = await makeClient(controller.adminConfig, dir.path, "bob");
  const carol = await makeClient(controller.adminConfig, dir.path, "carol");
  // the same names on another controller: only the signing key differs
  await Deno.mkdir(`${dir.path}/other-configs`);
  const otherAlice = await makeClient(other.adminConfig, `${dir.path}/other-configs`, "alice");
  const otherBench1 = await makeExporter(other.adminConfig, `${dir.path}/other-configs`, "bench1", [
    "board=virt",
  ]);
  await other.stop();

  const admin = await readCredentials(controller.adminConfig);
  const aliceId = await readCredentials(alice);
  const bobId = await readCredentials(bob);
  const bench1Id = await readCredentials(bench1);
  const bench2Id = await readCredentials(bench2);
  const raw = (metadata: Record<string, string | string[]> = {}) =>
    rawChannel(admin.endpoint, admin.ca, metadata);

  await using exporter = spawnJmp(["run", "--exporter-config", bench1]);
  try {
    await untilExporter(alice, "bench1");

    await t.step("calls without a token are refused", async () => {
      using anonymous = await raw();
      assertRefused(
        await rejection(
          "ListLeases",
          anonymous.clients.listLeases({ parent: "namespaces/default" }),
        ),
        UNAUTHENTICATED,
        "missing authorization token",
      );
      assertRefused(
        await rejection("Dial", anonymous.controller.dial({ leaseName: "x" })),
        UNAUTHENTICATED,
        "missing authorization token",
      );
      assertRefused(
        await rejection("Register", anonymous.controller.register(REPORT)),
        UNAUTHENTICATED,
        "missing authorization token",
      );
      assertRefused(
        await rejection("Status", first(anonymous.controller.status({}))),
        UNAUTHENTICATED,
        "missing authorization token",
      );
      assertRefused(
        await rejection("ListClients", anonymous.admin.listClients({ namespace: "default" })),
        UNAUTHENTICATED,
        "missing authorization token",
      );
      assertRefused(
        await routerStreamStatus(anonymous.routerStream()),
        UNAUTHENTICATED,
        "missing router token",
      );
      // a token that is not a bearer token, or twice, or without the caller's kind
      using basic = await raw({ ...identityMetadata(aliceId, "Client"), authorization: "Basic x" });
      assertRefused(
        await rejection("ListLeases", basic.clients.listLeases({ parent: "namespaces/default" })),
        INVALID_ARGUMENT,
        "malformed authorization header",
      );
      // two kinds at once (grpc-js joins repeated values into one "a, b" header, which the
      // controller cannot tell from a bad kind): refused either way
      using twice = await raw({
        ...identityMetadata(aliceId, "Client"),
        "jumpstarter-kind": ["Client", "Exporter"],
      });
      const doubled = await rejection(
        "ListLeases",
        twice.clients.listLeases({ parent: "namespaces/default" }),
      );
      assert.ok(
        [INVALID_ARGUMENT, PERMISSION_DENIED].includes(doubled.code),
        `two kinds: ${grpc.status[doubled.code]} ${doubled.details}`,
      );
      using kindless = await raw({ authorization: `Bearer ${aliceId.token}` });
      assertRefused(
        await rejection(
          "ListLeases",
          kindless.clients.listLeases({ parent: "namespaces/default" }),
        ),
        INVALID_ARGUMENT,
        "missing metadata: jumpstarter-kind",
      );
    });

    await t.step("a token signed by another controller is refused", async () => {
      const foreignClient = (await readCredentials(otherAlice)).token;
      const forged = await withToken(alice, foreignClient, `${dir.path}/foreign-alice.yaml`);
      assertCliRefused(
        await jmp(["get", "leases", "--client-config", forged]),
        "invalid token",
      );
      const shell = await jmp(
        ["shell", "--client-config", forged, "-l", "board=virt", "--", "true"],
        { timeoutMs: 30_000 },
      );
      assertCliRefused(shell, "invalid token");
      assert.deepEqual(await getLeases(alice), [], "no lease was created");

      const foreignAdmin = (await readCredentials(other.adminConfig)).token;
      const adminConfig = await withToken(
        controller.adminConfig,
        foreignAdmin,
        `${dir.path}/foreign-admin.yaml`,
      );
      assertCliRefused(
        await jmp(["admin", "get", "clients", "--admin-config", adminConfig]),
        "invalid token",
      );
      assertCliRefused(
        await jmp([
          "admin",
          "create",
          "client",
          "mallory",
          "--admin-config",
          adminConfig,
          "--out",
          `${dir.path}/mallory.yaml`,
        ]),
        "invalid token",
      );
      assert.ok(!(await exists(`${dir.path}/mallory.yaml`)));

      // an exporter with the other controller's token cannot register here
      const foreignExporter = (await readCredentials(otherBench1)).token;
      const exporterConfig = await withToken(
        bench1,
        foreignExporter,
        `${dir.path}/foreign-bench1.yaml`,
      );
      const run = await jmp(["run", "--exporter-config", exporterConfig], { timeoutMs: 30_000 });
      assertCliRefused(run, "invalid token");

      // router tokens: one signed with another secret, and a credential token in its place
      const stranger = await new jose.SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://jumpstarter.dev/stream")
        .setAudience("https://jumpstarter.dev/router")
        .setSubject(crypto.randomUUID())
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(crypto.getRandomValues(new Uint8Array(32)));
      using channel = await raw();
      assertRefused(
        await routerStreamStatus(channel.routerStream(`Bearer ${stranger}`)),
        UNAUTHENTICATED,
        "invalid router token",
      );
      assertRefused(
        await routerStreamStatus(channel.routerStream(`Bearer ${aliceId.token}`)),
        UNAUTHENTICATED,
        "invalid router token",
      );
    });

    await t.step(
      "expired or misaddressed tokens signed with the right key are refused",
      async () => {
        // sign with the controller's own key, taken from its state directory
        const keys = JSON.parse(await Deno.readTextFile(`${controller.stateDir}/keys.json`));
        const key = await jose.importJWK(keys.signingKey, "ES256");
        const { sub } = jose.decodeJwt(aliceId.token);
        const sign = (audience: string, issuedAt: number, expires: number) =>
          new jose.SignJWT({})
            .setProtectedHeader({ alg: "ES256" })
            .setIssuer(keys.issuer)
            .setAudience(audience)
            .setSubject(sub!)
            .setIssuedAt(issuedAt)
            .setExpirationTime(expires)
            .sign(key);
        const now = Math.floor(Date.now() / 1000);
        const valid = await sign("jumpstarter", now, now + 600);
        using ok = await raw(identityMetadata({ ...aliceId, token: valid }, "Client"));
        await ok.clients.listLeases({ parent: "namespaces/default" }); // the recipe is right
        const expired = await sign("jumpstarter", now - 7200, now - 3600);
        const config = await withToken(alice, expired, `${dir.path}/expired-alice.yaml`);
        assertCliRefused(
          await jmp(["get", "leases", "--client-config", config]),
          "token is expired",
        );
        using late = await raw(identityMetadata({ ...aliceId, token: expired }, "Client"));
        assertRefused(
          await rejection("Dial", late.controller.dial({ leaseName: "x" })),
          UNAUTHENTICATED,
          "token is expired",
        );
        const elsewhere = await sign("https://jumpstarter.dev/router", now, now + 600);
        using misaddressed = await raw(
          identityMetadata({ ...aliceId, token: elsewhere }, "Client"),
        );
        assertRefused(
          await rejection(
            "ListLeases",
            misaddressed.clients.listLeases({ parent: "namespaces/default" }),
          ),
          UNAUTHENTICATED,
          "invalid token",
        );
        // and a valid client token cannot reach into another namespace
        using asAlice = await raw(identityMetadata(aliceId, "Client"));
        assertRefused(
          await rejection(
            "ListLeases",
            asAlice.clients.listLeases({ parent: "namespaces/other" }),
          ),
          PERMISSION_DENIED,
          "namespace mismatch",
        );
        assertRefused(
          await rejection(
            "GetExporter",
            asAlice.clients.getExporter({ name: "namespaces/other/exporters/bench1" }),
          ),
          PERMISSION_DENIED,
          "namespace mismatch",
        );
      },
    );

    await t.step("a client token is refused on exporter calls (and vice versa)", async () => {
      // `jmp run` with a client's token in the exporter config: it cannot register
      const config = await withToken(bench2, aliceId.token, `${dir.path}/bench2-as-alice.yaml`);
      const run = await jmp(["run", "--exporter-config", config], { timeoutMs: 30_000 });
      assertCliRefused(run, "permission denied");
      const listed = await jmp(["get", "exporters", "--client-config", alice, "-o", "json"]);
      assertExit(listed, 0);
      const statuses = Object.fromEntries(
        (JSON.parse(listed.stdout) as { name: string; status: string }[]).map((
          e,
        ) => [e.name, e.status]),
      );
      assert.equal(statuses.bench2, "OFFLINE", "bench2 was not registered by alice's token");

      // the client token with its own kind, on exporter RPCs
      using asClient = await raw(identityMetadata(aliceId, "Client"));
      assertRefused(
        await rejection("Register", asClient.controller.register(REPORT)),
        PERMISSION_DENIED,
        "Client may not call this",
      );
      assertRefused(
        await rejection("Status", first(asClient.controller.status({}))),
        PERMISSION_DENIED,
        "Client may not call this",
      );
      assertRefused(
        await rejection("ReportStatus", asClient.controller.reportStatus({ status: 2 })),
        PERMISSION_DENIED,
        "Client may not call this",
      );
      assertRefused(
        await rejection("Listen", first(asClient.controller.listen({ leaseName: "x" }))),
        PERMISSION_DENIED,
        "Client may not call this",
      );
      assertRefused(
        await rejection("ListClients", asClient.admin.listClients({ namespace: "default" })),
        PERMISSION_DENIED,
        "Client may not call this",
      );
      // the client token claiming to be an exporter, or another client
      using posing = await raw(identityMetadata({ ...aliceId, name: "bench2" }, "Exporter"));
      assertRefused(
        await rejection("Register", posing.controller.register(REPORT)),
        PERMISSION_DENIED,
        "permission denied: the token is not for",
      );
      using asBob = await raw(identityMetadata({ ...aliceId, name: "bob" }, "Client"));
      assertRefused(
        await rejection("ListLeases", asBob.clients.listLeases({ parent: "namespaces/default" })),
        PERMISSION_DENIED,
        "metadata does not match the token",
      );
      // an exporter token on client RPCs
      using asExporter = await raw(identityMetadata(bench2Id, "Exporter"));
      assertRefused(
        await rejection(
          "ListLeases",
          asExporter.clients.listLeases({ parent: "namespaces/default" }),
        ),
        PERMISSION_DENIED,
        "Exporter may not call this",
      );
      assertRefused(
        await rejection(
          "CreateLease",
          asExporter.clients.createLease({
            parent: "namespaces/default",
            lease: { selector: "board=virt" },
          }),
        ),
        PERMISSION_DENIED,
        "Exporter may not call this",
      );
      assertRefused(
        await rejection("Dial", asExporter.controller.dial({ leaseName: "x" })),
        PERMISSION_DENIED,
        "Exporter may not call this",
      );
    });

    await t.step("a client cannot use, change or release a lease it does not hold", async () => {
      try {
        const created = await jmp([
          "create",
          "lease",
          "--client-config",
          alice,
          "-l",
          "board=virt",
          "--duration",
          "2m",
          "-o",
          "json",
        ]);
        assertExit(created, 0);
        const name = (JSON.parse(created.stdout) as { name: string }[])[0]!.name;
        await until(
          "alice's lease to be ready",
          async () => (await getLeases(alice)).some((l) => readyState(l) === "True/Ready"),
        );
        await untilExporter(alice, "bench1", "LEASE_READY");

        const marker = `${dir.path}/bob-ran`;
        const shell = await jmp(
          ["shell", "--client-config", bob, "--lease", name, "--", "touch", marker],
          { timeoutMs: 30_000 },
        );
        assertCliRefused(shell, "permission denied");
        assert.ok(!(await exists(marker)), "bob's command ran on alice's lease");
        assert.doesNotMatch(shell.stderr, /acquired/, describe(shell));

        assertCliRefused(
          await jmp(["delete", "leases", "--client-config", bob, name]),
          "permission denied",
        );
        assertCliRefused(
          await jmp(["update", "lease", "--client-config", bob, name, "--duration", "1h"]),
          "permission denied",
        );
        assert.deepEqual(await getLeases(bob), [], "bob does not see alice's lease");

        // no router ticket for bob, and no Listen on it for another exporter
        using asBob = await raw(identityMetadata(bobId, "Client"));
        assertRefused(
          await rejection("Dial", asBob.controller.dial({ leaseName: name })),
          UNKNOWN,
          "permission denied",
        );
        assertRefused(
          await rejection(
            "GetLease",
            asBob.clients.getLease({ name: `namespaces/default/leases/${name}` }),
          ),
          PERMISSION_DENIED,
          "permission denied",
        );
        assertRefused(
          await rejection("ReleaseLease", asBob.controller.releaseLease({ name })),
          UNKNOWN,
          "permission denied",
        );
        using asBench2 = await raw(identityMetadata(bench2Id, "Exporter"));
        assertRefused(
          await rejection("Listen", first(asBench2.controller.listen({ leaseName: name }))),
          UNKNOWN,
          "permission denied",
        );
        assertRefused(
          await rejection("ReleaseLease", asBench2.controller.releaseLease({ name })),
          UNKNOWN,
          "permission denied",
        );

        // alice's lease is untouched and still works for her
        const [lease] = await getLeases(alice);
        assert.deepEqual([lease?.name, lease?.duration, lease && readyState(lease)], [
          name,
          "120s",
          "True/Ready",
        ]);
        const used = await jmp(
          ["shell", "--client-config", alice, "--lease", name, "--", "j", "power", "on"],
          { timeoutMs: 60_000 },
        );
        assertExit(used, 0);
        assertExit(await jmp(["delete", "leases", "--client-config", alice, name]), 0);
        await untilExporter(alice, "bench1");
      } finally {
        // whatever happened, alice's lease must not hold the board for the next steps
        await jmp(["delete", "leases", "--all", "--client-config", alice]);
      }
    });

    await t.step("a deleted client's token stops working, even for a new namesake", async () => {
      const created = await jmp([
        "create",
        "lease",
        "--client-config",
        carol,
        "-l",
        "board=virt",
        "--duration",
        "2m",
        "-o",
        "json",
      ]);
      assertExit(created, 0);
      const name = (JSON.parse(created.stdout) as { name: string }[])[0]!.name;
      await untilExporter(alice, "bench1", "LEASE_READY");
      assertExit(await jmp(["get", "leases", "--client-config", carol]), 0);

      const deleted = await jmp([
        "admin",
        "delete",
        "client",
        "carol",
        "--admin-config",
        controller.adminConfig,
      ]);
      assertExit(deleted, 0);
      assertCliRefused(
        await jmp(["get", "leases", "--client-config", carol]),
        'client "carol" no longer exists',
      );
      const carolId = await readCredentials(carol);
      using asCarol = await raw(identityMetadata(carolId, "Client"));
      assertRefused(
        await rejection("Dial", asCarol.controller.dial({ leaseName: name })),
        UNAUTHENTICATED,
        'client "carol" no longer exists',
      );
      // her lease was released with her
      await untilExporter(alice, "bench1");

      // a new client named carol gets a new identity; the old token stays dead
      const again = await makeClient(controller.adminConfig, `${dir.path}/other-configs`, "carol");
      assertExit(await jmp(["get", "leases", "--client-config", again]), 0);
      assertCliRefused(
        await jmp(["get", "leases", "--client-config", carol]),
        'client "carol" no longer exists',
      );
      assertRefused(
        await rejection(
          "ListLeases",
          asCarol.clients.listLeases({ parent: "namespaces/default" }),
        ),
        UNAUTHENTICATED,
        'client "carol" no longer exists',
      );
    });

    await t.step("a deleted exporter's token stops working", async () => {
      const deleted = await jmp([
        "admin",
        "delete",
        "exporter",
        "bench2",
        "--admin-config",
        controller.adminConfig,
      ]);
      assertExit(deleted, 0);
      const run = await jmp(["run", "--exporter-config", bench2], { timeoutMs: 30_000 });
      assertCliRefused(run, 'exporter "bench2" no longer exists');
      using asBench2 = await raw(identityMetadata(bench2Id, "Exporter"));
      assertRefused(
        await rejection("Status", first(asBench2.controller.status({}))),
        UNAUTHENTICATED,
        'exporter "bench2" no longer exists',
      );
      // the other exporter is unaffected
      using asBench1 = await raw(identityMetadata(bench1Id, "Exporter"));
      assert.deepEqual(await asBench1.controller.getServiceEndpoints({}).then(() => "ok"), "ok");
    });
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});
