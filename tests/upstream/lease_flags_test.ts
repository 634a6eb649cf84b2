/**
 * Upstream HEAD's own `jmp` lease flags against our controller (issue 9 item 11, controller
 * side): tags, context and begin time on create, `--tag-filter`, a transfer with
 * `jmp update lease --to-client`, `jmp get leases -A` and `jmp delete leases -a`.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, describe, jmp, run } from "../_helpers.ts";
import { peerEnv, startUpstreamLab } from "./_lab.ts";
import { upstreamPeer } from "./_peer.ts";

fileDeadline(import.meta.url, 180_000);

Deno.test("upstream HEAD jmp: lease flags and a transfer through our controller", async () => {
  const peer = upstreamPeer("head");
  await using lab = await startUpstreamLab();
  const alice = await lab.client("alice");
  const bob = await lab.client("bob");
  const upstream = (args: string[]) => run(peer.jmp, args, { ...peerEnv(peer), timeoutMs: 60_000 });
  const names = async (client: string, ...flags: string[]) => {
    const result = await upstream([
      "get",
      "leases",
      "--client-config",
      client,
      "-o",
      "name",
      ...flags,
    ]);
    assertExit(result, 0);
    return result.stdout.split("\n").map((line) => line.trim()).filter(Boolean);
  };

  const begin = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "+00:00");
  const created = await upstream([
    "create",
    "lease",
    "--client-config",
    alice,
    "-l",
    "board=virt",
    "--duration",
    "10m",
    "--begin-time",
    begin,
    "--tag",
    "build=7",
    "--context",
    "ci=job-1",
    "-o",
    "name",
  ]);
  assertExit(created, 0);
  const name = created.stdout.trim();
  assert.match(name, /^\S+$/, describe(created));

  // what the controller kept, read back with our client
  const ours = await jmp(["get", "leases", "--client-config", alice, "-o", "json"]);
  assertExit(ours, 0);
  const [lease] = JSON.parse(ours.stdout) as {
    name: string;
    tags: Record<string, string>;
    context: Record<string, string>;
    beginTime: string;
  }[];
  assert.equal(lease?.name, name);
  assert.deepEqual(lease?.tags, { build: "7" });
  assert.deepEqual(lease?.context, { "ci": "job-1" });
  assert.equal(lease?.beginTime, begin.replace("+00:00", "Z"));

  assert.deepEqual(await names(alice, "--tag-filter", "build=7"), [name]);
  assert.deepEqual(await names(alice, "--tag-filter", "build=8"), []);

  const moved = await upstream([
    "update",
    "lease",
    name,
    "--client-config",
    alice,
    "--to-client",
    "bob",
    "-o",
    "name",
  ]);
  assertExit(moved, 0);
  assert.deepEqual(await names(bob), [name]);
  assert.deepEqual(await names(alice), []);
  assert.deepEqual(await names(alice, "-A"), [name]);

  const deleted = await upstream(["delete", "leases", "--client-config", bob, "-a"]);
  assertExit(deleted, 0);
  assert.equal(deleted.stdout.trim(), `lease "${name}" deleted`);
  assert.deepEqual(await names(bob), []);
});
