/**
 * Session sockets of a confined exporter: Deno grants Unix sockets by exact path only, so each
 * socket takes the first free numbered slot below the directory its grants name.
 *
 * @module
 */
import { SOCKET_SLOTS, socketSlot } from "./confined_grants.ts";

/**
 * Claims a free slot below `dir` (making its directory, which frees it when removed).
 *
 * @throws {Error} when every slot is taken.
 */
export async function claimSocketSlot(dir: string): Promise<{ path: string; dir: string }> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  for (let slot = 0; slot < SOCKET_SLOTS; slot++) {
    const claimed = socketSlot(dir, slot);
    try {
      await Deno.mkdir(claimed.dir, { mode: 0o700 });
      return claimed;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new Error(`All ${SOCKET_SLOTS} session socket slots in ${dir} are taken`);
}
