/** Helpers for tests that run several `jmp-controller --store etcd://` replicas of one controller. */
import assert from "node:assert/strict";
import type { LeaseRecord } from "../controller/model.ts";
import {
  type ControllerProcess,
  type ControllerStartOptions,
  startController,
  until,
} from "./_distributed.ts";

/** What a replica prints once it leads. */
export const LEADER_LINE = /controller replica \S+ is the leader/;

/** Copies a replica's state directory (keys, certificate) for another replica to start from. */
export async function copyStateDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(`${to}/store`, { recursive: true });
  for (const file of ["keys.json", "tls.json", "store/journal.jsonl"]) {
    await Deno.copyFile(`${from}/${file}`, `${to}/${file}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/**
 * Starts a replica in `dirs[0]` on `store`, waits until it leads, then a second one in `dirs[1]`
 * from a copy of its state directory, which must not lead. Each is added to `started` as soon as
 * it runs, for the caller to stop.
 */
export async function startLeaderAndFollower(
  store: string,
  dirs: [string, string],
  started: ControllerProcess[],
  options: [ControllerStartOptions, ControllerStartOptions] = [{}, {}],
): Promise<{ leader: ControllerProcess; follower: ControllerProcess }> {
  const leader = await startController(dirs[0], { ...options[0], store });
  started.push(leader);
  await until(
    "the first replica to lead",
    () => Promise.resolve(LEADER_LINE.test(leader.stderr())),
  );
  await copyStateDir(leader.stateDir, dirs[1]);
  const follower = await startController(dirs[1], { ...options[1], store });
  started.push(follower);
  assert.ok(!LEADER_LINE.test(follower.stderr()), `two leaders:\n${follower.stderr()}`);
  return { leader, follower };
}

/** Fails if two leases ever held one exporter over overlapping times. */
export function assertNoDoubleGrant(leases: LeaseRecord[]): void {
  const held = leases.filter((l) => l.exporter && l.effectiveBeginTime !== undefined);
  for (const a of held) {
    for (const b of held) {
      if (a === b || a.exporter !== b.exporter) continue;
      const aEnd = a.ended ? a.effectiveEndTime ?? Infinity : Infinity;
      const bEnd = b.ended ? b.effectiveEndTime ?? Infinity : Infinity;
      const overlap = a.effectiveBeginTime! < bEnd && b.effectiveBeginTime! < aEnd;
      assert.ok(!overlap, `${a.name} and ${b.name} both held ${a.exporter}`);
    }
  }
}
