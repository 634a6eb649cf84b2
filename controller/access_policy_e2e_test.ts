/**
 * `jmp-controller --access-policy FILE` end to end (issue 15 item 4): a `jmp run` exporter and
 * clients of different teams against the controller process; higher priority served first, a
 * spot lease preempted by a non-spot one, a SIGHUP reload, and a bad file refused in one line.
 */
import assert from "node:assert/strict";
import {
  conditionOf,
  connectController,
  type ControllerConnection,
  createLease,
  getLease,
  queueInfo,
  releaseLease,
  waitForLease,
} from "@jumpstarter/lib/client";
import { eventually } from "@jumpstarter/lib/testing";
import { spawnJmp, tempDir } from "../tests/_helpers.ts";
import { run } from "../tests/_process.ts";
import {
  controllerArgs,
  exporterStatus,
  makeClient,
  makeExporter,
  readCredentials,
  startController,
  untilExporter,
} from "../tests/_distributed.ts";
import { PREEMPTED_MESSAGE } from "./scheduler/policy_spot.ts";

const HEAD = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterAccessPolicy\n";
const POLICY = `${HEAD}metadata: { name: virt, namespace: default }
spec:
  exporterSelector: { matchLabels: { board: virt } }
  policies:
    - description: CI first
      priority: 20
      from: [{ clientSelector: { matchLabels: { team: ci } } }]
    - description: developers
      priority: 10
      maximumDuration: 1h
      from: [{ clientSelector: { matchLabels: { team: dev } } }]
    - description: guests on spot
      spotAccess: true
      from: [{ clientSelector: { matchLabels: { team: guest } } }]
`;
const WAIT = { pollMs: 100, timeoutMs: 30_000 };
const POLL = { intervalMs: 100, timeoutMs: 30_000 };

/** Creates client NAME labelled `team=TEAM` with `jmp admin` and connects as it. */
async function teamClient(
  adminConfig: string,
  dir: string,
  name: string,
  team: string,
): Promise<{ path: string; connection: ControllerConnection }> {
  const path = await makeClient(adminConfig, dir, name, [`team=${team}`]);
  const c = await readCredentials(path);
  const connection = await connectController({
    endpoint: c.endpoint,
    token: c.token,
    namespace: c.namespace,
    name: c.name,
    kind: "Client",
    tls: { ca: c.ca },
  });
  return { path, connection };
}

async function lease(connection: ControllerConnection, durationMs = 300_000): Promise<string> {
  const created = await createLease(connection, { selector: "board=virt", durationMs });
  return created.name.split("/").pop()!;
}

async function positionOf(connection: ControllerConnection, name: string) {
  return queueInfo(await getLease(connection, name)).position;
}

Deno.test("access policy through jmp-controller: priority, spot preemption, SIGHUP reload", async (t) => {
  await using dir = await tempDir();
  const policyPath = `${dir.path}/policy.yaml`;
  await Deno.writeTextFile(policyPath, POLICY);
  const controller = await startController(`${dir.path}/controller`, {
    extraArgs: ["--access-policy", policyPath],
  });
  const connections: ControllerConnection[] = [];
  try {
    await eventually(
      "jmp-controller to report the policy it loaded",
      () => controller.stderr().includes(`access policy ${policyPath}: 1 policy, 3 rules`),
      { timeoutMs: 10_000, intervalMs: 50, describe: () => controller.stderr() },
    );
    const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "board1", [
      "board=virt",
    ]);
    const client = (name: string, team: string) =>
      teamClient(controller.adminConfig, dir.path, name, team).then((c) => {
        connections.push(c.connection);
        return c;
      });
    const holder = await client("holder", "dev");
    const dev = await client("dev", "dev");
    const ci = await client("ci", "ci");
    const guest = await client("guest", "guest");
    await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
    try {
      await untilExporter(holder.path, "board1");

      await t.step("a higher-priority client jumps the queue; FIFO keeps the rest", async () => {
        const held = await lease(holder.connection);
        await waitForLease(holder.connection, held, WAIT);
        const devLease = await lease(dev.connection);
        await eventually(
          "dev to be first in the queue",
          async () => (await positionOf(dev.connection, devLease)) === 1,
          POLL,
        );
        const ciLease = await lease(ci.connection);
        let seen = "";
        await eventually("ci ahead of dev in the queue", async () => {
          const positions = [
            await positionOf(ci.connection, ciLease),
            await positionOf(dev.connection, devLease),
          ];
          seen = positions.join(", ");
          return seen === "1, 2";
        }, { ...POLL, describe: () => `positions ci, dev: ${seen}` });
        // over the developers' 1h maximum: refused, never clamped
        const long = await lease(dev.connection, 2 * 3_600_000);
        await assert.rejects(
          waitForLease(dev.connection, long, WAIT),
          /the lease cannot be satisfied: While there are 1 exporters matching the selector, none of them are approved by any policy for your client/,
        );
        await releaseLease(holder.connection, held);
        await waitForLease(ci.connection, ciLease, WAIT);
        assert.equal(await positionOf(dev.connection, devLease), 1);
        await releaseLease(ci.connection, ciLease);
        await waitForLease(dev.connection, devLease, WAIT);
        await releaseLease(dev.connection, devLease);
        await untilExporter(holder.path, "board1");
      });

      await t.step("a non-spot lease preempts a spot lease; the spot client sees why", async () => {
        const spot = await lease(guest.connection);
        await waitForLease(guest.connection, spot, WAIT);
        await untilExporter(holder.path, "board1", "LEASE_READY");
        const ciLease = await lease(ci.connection);
        await waitForLease(ci.connection, ciLease, WAIT);
        const ended = await getLease(guest.connection, spot);
        const ready = conditionOf(ended, "Ready");
        assert.equal(ready?.status, "False");
        assert.equal(ready?.reason, "Preempted");
        assert.equal(ready?.message, PREEMPTED_MESSAGE);
        await assert.rejects(
          waitForLease(guest.connection, spot, WAIT),
          new RegExp(`lease ${spot} preempted`),
        );
        await releaseLease(ci.connection, ciLease);
        await untilExporter(holder.path, "board1");
      });

      await t.step("SIGHUP reloads the file; a reload that fails keeps the policy", async () => {
        await Deno.writeTextFile(policyPath, `${POLICY}    - priority: soon\n`);
        controller.process.kill("SIGHUP");
        await eventually(
          "the failed reload to be logged",
          () => controller.stderr().includes("access policy not reloaded (the previous one stays)"),
          { timeoutMs: 10_000, intervalMs: 50, describe: () => controller.stderr() },
        );
        const stillOk = await lease(guest.connection);
        await waitForLease(guest.connection, stillOk, WAIT);
        await releaseLease(guest.connection, stillOk);
        await untilExporter(holder.path, "board1");

        const withoutGuests = POLICY.slice(0, POLICY.indexOf("    - description: guests"));
        await Deno.writeTextFile(policyPath, withoutGuests);
        controller.process.kill("SIGHUP");
        await eventually(
          "the reload to be logged",
          () =>
            controller.stderr().includes(
              `access policy reloaded from ${policyPath}: 1 policy, 2 rules`,
            ),
          { timeoutMs: 10_000, intervalMs: 50, describe: () => controller.stderr() },
        );
        const refused = await lease(guest.connection);
        await assert.rejects(
          waitForLease(guest.connection, refused, WAIT),
          /none of them are approved by any policy for your client\. Matching policies: CI first; developers$/,
        );
        assert.equal(await exporterStatus(holder.path, "board1"), "AVAILABLE");
      });
    } finally {
      await exporter.stop("SIGTERM", 20_000);
    }
  } finally {
    for (const c of connections) c.close();
    await controller.stop();
  }
});

Deno.test("jmp-controller refuses a bad access policy file in one line naming file, line and field", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/policy.yaml`;
  await Deno.writeTextFile(
    path,
    `${HEAD}metadata: { name: a }\nspec:\n  policies:\n    - maximumDuration: 1 day\n`,
  );
  const result = await run(
    Deno.execPath(),
    controllerArgs([
      "--state-dir",
      `${dir.path}/state`,
      "--listen",
      "127.0.0.1:0",
      "--access-policy",
      path,
    ]),
    { timeoutMs: 30_000 },
  );
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    result.stderr,
    `Error: ${path}:6:24: Invalid duration "1 day" (expected e.g. 30m, 12h, 1h30m) ` +
      "at spec.policies[0].maximumDuration\n",
  );
});
