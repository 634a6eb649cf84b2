/**
 * Plumbing: a codec is a function from its input stream to its output stream; CodecStream gives
 * it a writable side, names the encoding in its errors and ties the two sides' ends together.
 *
 * @module
 */
import type { Transform } from "node:stream";
import { type ContentEncoding, ContentEncodingError } from "./names.ts";

/** A codec: its output stream, made from its input stream. */
export type Codec = (
  input: ReadableStream<Uint8Array>,
) => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>;

/**
 * A TransformStream whose two sides are a codec's own input and output. (A plain transformer can
 * only enqueue, and cannot wait for the reader between the output chunks of one input chunk: a
 * 1 KiB chunk of a compressed disk image can hold gigabytes of zeros.)
 */
export class CodecStream extends TransformStream<Uint8Array, Uint8Array> {
  override readonly readable: ReadableStream<Uint8Array>;
  override readonly writable: WritableStream<Uint8Array>;

  constructor(operation: "decode" | "encode", encoding: ContentEncoding, codec: Codec) {
    super();
    // Writes resolve once the codec reads them (the readable side of a TransformStream has no
    // queue of its own), and cancelling inputReader errors the writable side.
    const pipe = new TransformStream<Uint8Array, Uint8Array>();
    const inputReader = pipe.readable.getReader();
    let inputDone = false;
    let inputError: { reason: unknown } | undefined;
    let consumerCancelled = false;
    let failure: { reason: unknown } | undefined;
    // Settles when the codec has produced its last chunk: closing the writable side waits for it,
    // as closing a TransformStream's waits for its flush.
    const { promise: outputDone, resolve: outputEnded, reject: outputFailed } = Promise
      .withResolvers<void>();
    outputDone.catch(() => {});
    /** The first error of the codec, as both sides report it; ends the writable side. */
    const fail = (error: unknown): unknown => {
      failure ??= {
        reason: inputError ? inputError.reason : asCodecError(operation, encoding, error),
      };
      inputReader.cancel(failure.reason).catch(() => {});
      outputFailed(failure.reason);
      return failure.reason;
    };
    const input = new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await inputReader.read();
          } catch (reason) {
            inputError = { reason };
            throw reason;
          }
          if (result.done) {
            inputDone = true;
            controller.close();
            return;
          }
          const chunk: unknown = result.value;
          if (!(chunk instanceof Uint8Array)) {
            const reason = new ContentEncodingError(
              operation,
              encoding,
              "chunks must be Uint8Array",
            );
            inputError = { reason };
            throw reason;
          }
          if (chunk.byteLength > 0) {
            controller.enqueue(chunk);
            return;
          }
        }
      },
      async cancel(reason) {
        // the reader went away, or the codec gave up on its input
        if (consumerCancelled) await inputReader.cancel(reason);
        else fail(reason);
      },
    }, { highWaterMark: 0 });

    let output: ReadableStreamDefaultReader<Uint8Array> | undefined;
    this.readable = new ReadableStream<Uint8Array>({
      async start() {
        try {
          output = (await codec(input)).getReader();
        } catch (error) {
          throw fail(error);
        }
      },
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await output!.read();
        } catch (error) {
          throw fail(error);
        }
        if (!result.done) {
          controller.enqueue(result.value);
          return;
        }
        if (!inputDone) {
          // A codec that ends before its input does: refuse the rest rather than drop it.
          throw fail(new Error("unexpected data after the end of the compressed stream"));
        }
        controller.close();
        outputEnded();
      },
      async cancel(reason) {
        consumerCancelled = true;
        outputFailed(reason);
        await Promise.allSettled([output?.cancel(reason), inputReader.cancel(reason)]);
      },
    }, { highWaterMark: 1 });
    const writer = pipe.writable.getWriter();
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => writer.write(chunk),
      async close() {
        await writer.close();
        await outputDone;
      },
      abort: (reason) => writer.abort(reason),
    });
  }
}

function asCodecError(
  operation: "decode" | "encode",
  encoding: ContentEncoding,
  error: unknown,
): ContentEncodingError {
  if (error instanceof ContentEncodingError) return error;
  let detail = error instanceof Error ? error.message : String(error);
  // io::ErrorKind::UnexpectedEof as @napi-rs/lzma reports it
  if (/failed to fill whole buffer/i.test(detail)) detail = `unexpected end of input (${detail})`;
  return new ContentEncodingError(operation, encoding, detail, { cause: error });
}

/** A codec written as a generator of output chunks that reads its input with `reader`. */
export function generatorCodec(
  generator: (reader: ReadableStreamDefaultReader<Uint8Array>) => AsyncGenerator<Uint8Array>,
): Codec {
  return (input) => {
    const reader = input.getReader();
    const chunks = generator(reader);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const result = await chunks.next();
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel(reason) {
        await reader.cancel(reason).catch(() => {});
        chunks.return(undefined).catch(() => {});
      },
    }, { highWaterMark: 0 });
  };
}

/** Reads chunks until at least `count` bytes arrived (or the input ended). */
export async function readAtLeast(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
): Promise<{ chunks: Uint8Array[]; length: number; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < count) {
    const result = await reader.read();
    if (result.done) return { chunks, length, done: true };
    chunks.push(result.value);
    length += result.value.byteLength;
  }
  return { chunks, length, done: false };
}

/** Output chunk size of the node:zlib streams and of the bzip2 decoder. */
export const NODE_CHUNK = 64 * 1024;

/**
 * Runs `prefix` and then the rest of `reader`'s input through a node:zlib stream: written as it
 * drains, read as the reader reads (zlib stops inflating while its readable buffer is full).
 */
export async function* nodeTransformChunks(
  stream: Transform,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  prefix: readonly Uint8Array[] = [],
): AsyncGenerator<Uint8Array> {
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        stream.off("error", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
      stream.on("error", done);
    });
  const write = async (chunk: Uint8Array) => {
    if (!stream.write(chunk)) await drained();
  };
  const pump = async () => {
    try {
      for (const chunk of prefix) await write(chunk);
      for (;;) {
        const result = await reader.read();
        if (result.done || stream.destroyed) break;
        await write(result.value);
      }
      if (!stream.destroyed) stream.end();
    } catch (error) {
      stream.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  };
  // Not awaited: after an error the pump waits for its input, which ends once the error got out.
  void pump();
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } finally {
    stream.destroy();
  }
}
