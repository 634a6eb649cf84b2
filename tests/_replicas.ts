/** Helpers for tests that run several `jmp-controller --store etcd://` replicas of one controller. */

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
