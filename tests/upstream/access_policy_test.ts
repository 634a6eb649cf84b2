/**
 * Upstream HEAD's `jmp` under our controller's ExporterAccessPolicy (issue 15 item 4): a lease
 * over the rule's maximum duration refused with the controller's message, and a spot `jmp shell`
 * whose lease a CI client's lease preempts.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import {
  getLeases,
  makeClient,
  makeExporter,
  powerOnArgs,
  readyState,
  startController,
  until,
  untilExporter,
} from "../_distributed.ts";
import { assertExit, describe, run, spawnJmp, spawnProgram, tempDir } from "../_helpers.ts";
import { peerEnv } from "./_lab.ts";
import { upstreamPeer } from "./_peer.ts";

fileDeadline(import.meta.url, 180_000);

const POLICY = `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterAccessPolicy
metadata: { name: virt, namespace: default }
spec:
  exporterSelector: { matchLabels: { board: virt } }
  policies:
    - description: CI first
      priority: 20
      from: [{ clientSelector: { matchLabels: { team: ci } } }]
    - description: developers, up to 1h
      maximumDuration: 1h
      from: [{ clientSelector: { matchLabels: { team: dev } } }]
    - description: guests on spot
      spotAccess: true
      from: [{ clientSelector: { matchLabels: { team: guest } } }]
`;

Deno.test("upstream HEAD jmp under access policy: maximum duration refused, spot shell preempted", async () => {
  const head = upstreamPeer("head");
  await using dir = await tempDir();
  const policy = `${dir.path}/policy.yaml`;
  await Deno.writeTextFile(policy, POLICY);
  const controller = await startController(`${dir.path}/state`, {
    extraArgs: ["--access-policy", policy],
  });
  try {
    const config = await makeExporter(controller.adminConfig, dir.path, "board1", ["board=virt"]);
    const dev = await makeClient(controller.adminConfig, dir.path, "dev", ["team=dev"]);
    const guest = await makeClient(controller.adminConfig, dir.path, "guest", ["team=guest"]);
    const ci = await makeClient(controller.adminConfig, dir.path, "ci", ["team=ci"]);
    await using exporter = spawnJmp(["run", "--exporter-config", config]);
    try {
      await untilExporter(dev, "board1");
      const long = await run(head.jmp, [
        "shell",
        "--client-config",
        dev,
        "-l",
        "board=virt",
        "--duration",
        "2h",
        "--",
        "true",
      ], { ...peerEnv(head), timeoutMs: 60_000 });
      assertExit(long, 1);
      assert.equal(
        long.stderr.trim(),
        "Error: the lease cannot be satisfied: While there are 1 exporters matching the " +
          "selector, none of them are approved by any policy for your client. Matching " +
          "policies: CI first; guests on spot",
        describe(long),
      );

      const started = `${dir.path}/started`;
      await using spot = spawnProgram(head.jmp, [
        "shell",
        "--client-config",
        guest,
        "-l",
        "board=virt",
        "--",
        "sh",
        "-c",
        // a second run (after a re-lease, see below) ends at once
        `if [ -e ${started} ]; then echo 'second run'; exit 0; fi; touch ${started}; ` +
        "while j power on >/dev/null; do sleep 0.2; done; echo 'j failed: the lease is gone'; exit 7",
      ], peerEnv(head));
      await until("the spot shell to start its command", async () => {
        try {
          await Deno.stat(started);
          return true;
        } catch {
          return false;
        }
      }, 60_000);
      const taken = await run(head.jmp, powerOnArgs(ci), { ...peerEnv(head), timeoutMs: 60_000 });
      assertExit(taken, 0);
      // What the spot holder sees: its j calls fail and its command ends. HEAD's jmp shell
      // polls its lease every 30 s: if it has seen the end by then it exits with the command's
      // code; if not, its probe of the exporter fails and it takes the exporter for unreachable,
      // releases, leases again (queueing behind CI if CI still holds the board) and reruns.
      const preempted = await spot.wait(90_000);
      const text = preempted.stdout.replace(/\s+/g, " ");
      assert.match(text, /j failed: the lease is gone/, describe(preempted));
      if (/unreachable, releasing lease and retrying/.test(text)) {
        assertExit(preempted, 0);
        assert.match(text, /second run/, describe(preempted));
      } else {
        assertExit(preempted, 7);
        assert.match(text, /Lease \S+ ended at/, describe(preempted));
      }
      const leases = await getLeases(guest, true);
      const states = leases.map(readyState);
      assert.equal(states.filter((s) => s === "False/Preempted").length, 1, states.join(", "));
    } finally {
      await exporter.stop("SIGTERM", 20_000);
    }
  } finally {
    await controller.stop();
  }
});
