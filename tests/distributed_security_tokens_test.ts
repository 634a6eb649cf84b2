/**
 * Distributed mode security, credentials: calls without a token, with a token of another
 * controller, with an expired or misaddressed token signed with the right key, or reaching into
 * another namespace are all refused with a clear error and no effect. The CLI is used where it
 * can express the attempt; raw gRPC (arbitrary metadata) elsewhere.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import * as jose from "jose";
import * as grpc from "@grpc/grpc-js";
import { exists, jmp, tempDir } from "./_helpers.ts";
import {
  getLeases,
  identityMetadata,
  readCredentials,
  rejection,
  routerStreamStatus,
  withToken,
} from "./_distributed.ts";
import { assertCliRefused, assertRefused, first, REPORT, withSecurityLab } from "./_security.ts";

const { UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT } = grpc.status;

// many subprocesses in a row on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("security: the controller refuses calls whose token is missing, foreign or stale", async (t) => {
  await using scratch = await tempDir();
  await withSecurityLab(
    scratch.path,
    { foreign: true },
    async ({ dir, controller, bench1, alice, aliceId, raw, foreign }) => {
      assert.ok(foreign);
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
        using basic = await raw({
          ...identityMetadata(aliceId, "Client"),
          authorization: "Basic x",
        });
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
        const foreignClient = (await readCredentials(foreign.alice)).token;
        const forged = await withToken(alice, foreignClient, `${dir}/foreign-alice.yaml`);
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

        const foreignAdmin = (await readCredentials(foreign.adminConfig)).token;
        const adminConfig = await withToken(
          controller.adminConfig,
          foreignAdmin,
          `${dir}/foreign-admin.yaml`,
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
            `${dir}/mallory.yaml`,
          ]),
          "invalid token",
        );
        assert.ok(!(await exists(`${dir}/mallory.yaml`)));

        // an exporter with the other controller's token cannot register here
        const foreignExporter = (await readCredentials(foreign.bench1)).token;
        const exporterConfig = await withToken(
          bench1,
          foreignExporter,
          `${dir}/foreign-bench1.yaml`,
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
          const config = await withToken(alice, expired, `${dir}/expired-alice.yaml`);
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
    },
  );
});
