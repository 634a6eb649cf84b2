/**
 * Reading a file as a stream of large chunks: `FsFile.readable` yields 64 KiB chunks, and every
 * chunk becomes one gRPC message; 256 KiB chunks move images markedly faster.
 */

/** Chunk size for image transfers. */
export const TRANSFER_CHUNK = 256 * 1024;

/** Streams `file` from its current position in `chunkSize` chunks; closes it at the end. */
export function fileChunks(
  file: Deno.FsFile,
  chunkSize: number = TRANSFER_CHUNK,
): ReadableStream<Uint8Array> {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    file.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(chunkSize);
      let filled = 0;
      try {
        while (filled < chunkSize) {
          const count = await file.read(buffer.subarray(filled));
          if (count === null) break;
          filled += count;
        }
      } catch (error) {
        close();
        throw error;
      }
      if (filled > 0) {
        controller.enqueue(filled === chunkSize ? buffer : buffer.subarray(0, filled));
      }
      if (filled < chunkSize) {
        close();
        controller.close();
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}
