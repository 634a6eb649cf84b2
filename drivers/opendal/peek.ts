/**
 * Looking at the first bytes of a stream (to recognise a compressed image) without consuming them.
 */

/** The first bytes of a stream, and a stream that still yields everything. */
export interface Peeked {
  /** At least `count` bytes, unless the stream was shorter. */
  head: Uint8Array;
  stream: ReadableStream<Uint8Array>;
}

/** Reads until at least `count` bytes arrived; the returned stream replays them first. */
export async function peek(stream: ReadableStream<Uint8Array>, count: number): Promise<Peeked> {
  const reader = stream.getReader();
  const buffered: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  try {
    while (length < count) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffered.push(value);
      length += value.byteLength;
    }
  } catch (error) {
    reader.releaseLock();
    throw error;
  }
  const head = new Uint8Array(length);
  let offset = 0;
  for (const chunk of buffered) {
    head.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const replay = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of buffered) controller.enqueue(chunk);
      if (ended) controller.close();
    },
    async pull(controller) {
      if (ended) return;
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return { head, stream: replay };
}
