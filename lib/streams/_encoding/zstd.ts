/**
 * zstd: fzstd decodes; the frames are tracked here (header fields and block sizes only) to check
 * each frame's content checksum (XXH64, which fzstd skips) and to tell a truncated stream.
 *
 * @module
 */
import { Decompress as ZstdDecompress } from "fzstd";
import xxhash from "xxhash-wasm";

/** Input handed to fzstd at a time: it decodes to at most 256 RLE blocks (32 MiB). */
const ZSTD_SLICE = 1024;
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_MAX_BLOCK = 128 * 1024;
/** The zstd tool's default limit when decoding (--memory=128MB, window log 27). */
const ZSTD_MAX_WINDOW = 128 * 1024 * 1024;

const enum Frame {
  Magic,
  Descriptor,
  Header,
  BlockHeader,
  Block,
  Checksum,
  SkippableSize,
  Skippable,
}

/** Follows zstd frames byte by byte: where each ends, and the checksum it ends with. */
class ZstdFrames {
  #state = Frame.Magic;
  #field = new Uint8Array(16);
  #need = 4;
  #have = 0;
  #skip = 0;
  #checksummed = false;
  #singleSegment = false;
  #dictionary = 0;
  #contentSize = 0;
  #last = false;
  #seen = 0;
  #frames = 0;
  /** The content checksum of the frame that ended last, if it has one. */
  checksum: number | undefined;

  /** No frame was started. */
  get empty(): boolean {
    return this.#seen === 0;
  }

  /** Between frames (or before the first). */
  get atBoundary(): boolean {
    return this.#state === Frame.Magic && this.#have === 0;
  }

  /** Follows `chunk` up to the end of a frame: returns how many bytes that took, or -1. */
  scan(chunk: Uint8Array): number {
    this.#seen += chunk.byteLength;
    let i = 0;
    while (i < chunk.byteLength) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.byteLength - i);
        i += n;
        this.#skip -= n;
        if (this.#skip === 0 && this.#skipped()) return i;
        continue;
      }
      this.#field[this.#have++] = chunk[i++]!;
      if (this.#have === this.#need) {
        this.#have = 0;
        if (this.#complete()) return i;
      }
    }
    return -1;
  }

  #expect(state: Frame, bytes: number): void {
    this.#state = state;
    this.#need = bytes;
  }

  #u32(): number {
    const f = this.#field;
    return (f[0]! | f[1]! << 8 | f[2]! << 16 | f[3]! << 24) >>> 0;
  }

  /** A fixed-size field is complete; returns whether a frame ended. */
  #complete(): boolean {
    switch (this.#state) {
      case Frame.Magic: {
        const magic = this.#u32();
        this.#frames++;
        if (magic === ZSTD_MAGIC) {
          this.#expect(Frame.Descriptor, 1);
        } else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
          this.#expect(Frame.SkippableSize, 4);
        } else {
          throw new Error(
            this.#frames === 1 ? "not zstd data (no frame magic)" : "unexpected data after a frame",
          );
        }
        return false;
      }
      case Frame.Descriptor: {
        const descriptor = this.#field[0]!;
        if (descriptor & 0x08) throw new Error("corrupt frame header (reserved bit set)");
        this.#singleSegment = (descriptor & 0x20) !== 0;
        this.#checksummed = (descriptor & 0x04) !== 0;
        this.#contentSize = [this.#singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
        this.#dictionary = [0, 1, 2, 4][descriptor & 3]!;
        const fields = (this.#singleSegment ? 0 : 1) + this.#dictionary + this.#contentSize;
        if (fields > 0) this.#expect(Frame.Header, fields);
        else this.#expect(Frame.BlockHeader, 3);
        return false;
      }
      case Frame.Header: {
        // window descriptor, dictionary id, content size: the window is what decoding allocates
        const f = this.#field;
        let window = 0;
        if (!this.#singleSegment) {
          const base = 2 ** (10 + (f[0]! >> 3));
          window = base + (base / 8) * (f[0]! & 7);
        } else {
          const at = this.#dictionary;
          for (let i = this.#contentSize - 1; i >= 0; i--) window = window * 256 + f[at + i]!;
          if (this.#contentSize === 2) window += 256;
        }
        if (window > ZSTD_MAX_WINDOW) {
          throw new Error(
            `window of ${Math.ceil(window / 2 ** 20)} MiB is over the 128 MiB limit (zstd --long?)`,
          );
        }
        this.#expect(Frame.BlockHeader, 3);
        return false;
      }
      case Frame.BlockHeader: {
        const f = this.#field;
        const header = f[0]! | f[1]! << 8 | f[2]! << 16;
        this.#last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw new Error("corrupt block header (reserved block type)");
        if (size > ZSTD_MAX_BLOCK) throw new Error("corrupt block header (block too large)");
        this.#skip = type === 1 ? 1 : size;
        this.#state = Frame.Block;
        return this.#skip === 0 ? this.#blockDone() : false;
      }
      case Frame.Checksum:
        this.checksum = this.#u32();
        this.#expect(Frame.Magic, 4);
        return true;
      case Frame.SkippableSize:
        this.#skip = this.#u32();
        this.#state = Frame.Skippable;
        return this.#skip === 0 ? this.#skipped() : false;
      default:
        throw new Error(`zstd frame tracker: no field in state ${this.#state}`);
    }
  }

  /** A skipped run of bytes ended; returns whether a frame ended. */
  #skipped(): boolean {
    switch (this.#state) {
      case Frame.Block:
        return this.#blockDone();
      default: // Frame.Skippable
        this.checksum = undefined;
        this.#expect(Frame.Magic, 4);
        return true;
    }
  }

  #blockDone(): boolean {
    if (!this.#last) {
      this.#expect(Frame.BlockHeader, 3);
      return false;
    }
    if (this.#checksummed) {
      this.#expect(Frame.Checksum, 4);
      return false;
    }
    this.checksum = undefined;
    this.#expect(Frame.Magic, 4);
    return true;
  }
}

let xxhashApi: ReturnType<typeof xxhash> | undefined;

/** Decodes concatenated zstd frames, checking each content checksum. */
export async function* zstdDecode(reader: ReadableStreamDefaultReader<Uint8Array>) {
  xxhashApi ??= xxhash();
  const { create64 } = await xxhashApi;
  const frames = new ZstdFrames();
  let hash = create64();
  let ready: Uint8Array[] = [];
  // One decoder a frame: told the frame's last byte is the last, fzstd finishes it even when it
  // is too short for fzstd to start decoding before more input (frames are independent anyway).
  const frameDecoder = () =>
    new ZstdDecompress((chunk) => {
      if (chunk.byteLength === 0) return;
      hash.update(chunk);
      ready.push(chunk);
    });
  let decoder = frameDecoder();
  for (;;) {
    const result = await reader.read();
    if (result.done) break;
    let rest = result.value;
    while (rest.byteLength > 0) {
      const frameEnd = frames.scan(rest.subarray(0, ZSTD_SLICE));
      const taken = frameEnd < 0 ? Math.min(ZSTD_SLICE, rest.byteLength) : frameEnd;
      decoder.push(rest.subarray(0, taken), frameEnd >= 0);
      rest = rest.subarray(taken);
      if (frameEnd >= 0) {
        const expected = frames.checksum;
        if (expected !== undefined && Number(hash.digest() & 0xffffffffn) !== expected) {
          throw new Error("content checksum mismatch (corrupt data)");
        }
        hash = create64();
        decoder = frameDecoder();
      }
      const chunks = ready;
      ready = [];
      yield* chunks;
    }
  }
  if (frames.empty) throw new Error("unexpected end of input (no data)");
  if (!frames.atBoundary) throw new Error("unexpected end of input (truncated)");
}
