/**
 * Distributed mode security, deleted principals: a deleted client's token stops working (also
 * once a new client of the same name exists) and its lease is released; a deleted exporter's
 * token stops working while the other exporters are unaffected.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import * as grpc from "@grpc/grpc-js";
import { assertExit, jmp, tempDir } from "./_helpers.ts";
import {
  identityMetadata,
  makeClient,
  readCredentials,
  rejection,
  untilExporter,
} from "./_distributed.ts";
import { assertCliRefused, assertRefused, first, withSecurityLab } from "./_security.ts";

const { UNAUTHENTICATED } = grpc.status;

// many subprocesses in a row on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("security: a deleted client or exporter's token stops working", async (t) => {
  await using scratch = await tempDir();
  await withSecurityLab(
    scratch.path,
    { serveBench1: true },
    async ({ dir, controller, bench2, alice, carol, bench1Id, bench2Id, raw }) => {
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
        const again = await makeClient(controller.adminConfig, `${dir}/other-configs`, "carol");
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
    },
  );
});
