/** A fake video client whose snapshots are the bytes of a file (a stand-in for `VideoClient`). */
import type { SnapshotSource } from "../image_hash.ts";

/** Snapshots `file` (or the given bytes) every time; counts the snapshots taken. */
export class FakeCamera implements SnapshotSource {
  readonly name = "FakeCamera";
  snapshots = 0;
  readonly #frame: Uint8Array | string;

  constructor(frame: Uint8Array | string) {
    this.#frame = frame;
  }

  async snapshot(): Promise<Uint8Array> {
    this.snapshots++;
    return typeof this.#frame === "string" ? await Deno.readFile(this.#frame) : this.#frame;
  }
}
