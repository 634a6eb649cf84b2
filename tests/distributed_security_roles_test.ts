/**
 * Distributed mode security, roles: a client token is refused on exporter calls and an exporter
 * token on client calls, nobody may pose as another principal, and a client cannot use, change
 * or release a lease it does not hold (nor can another exporter Listen on it).
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import * as grpc from "@grpc/grpc-js";
import { assertExit, describe, exists, jmp, tempDir } from "./_helpers.ts";
import {
  getLeases,
  identityMetadata,
  readyState,
  rejection,
  until,
  untilExporter,
  withToken,
} from "./_distributed.ts";
import { assertCliRefused, assertRefused, first, REPORT, withSecurityLab } from "./_security.ts";

const { PERMISSION_DENIED, UNKNOWN } = grpc.status;

// many subprocesses in a row on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("security: the controller refuses calls outside the caller's role and leases", async (t) => {
  await using scratch = await tempDir();
  await withSecurityLab(
    scratch.path,
    { serveBench1: true },
    async ({ dir, bench2, alice, bob, aliceId, bobId, bench2Id, raw }) => {
      await t.step("a client token is refused on exporter calls (and vice versa)", async () => {
        // `jmp run` with a client's token in the exporter config: it cannot register
        const config = await withToken(bench2, aliceId.token, `${dir}/bench2-as-alice.yaml`);
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

          const marker = `${dir}/bob-ran`;
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
    },
  );
});
