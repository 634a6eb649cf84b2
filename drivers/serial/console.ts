/**
 * The interactive serial console: the local terminal in raw mode, keys to the port and port
 * output to the screen byte for byte, until Ctrl-B is pressed three times in a row. Without a
 * terminal it is a plain pipe: stdin to the port, the port to stdout.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";

/** Ctrl-B, the escape key (pressed three times in a row). */
export const CTRL_B = 0x02;
const ESCAPE_COUNT = 3;

/**
 * Spots three Ctrl-B in a row in typed input. A Ctrl-B is held back until the next key shows
 * whether it starts the escape; if not, it is passed on before that key.
 */
export class EscapeDetector {
  #held = 0;

  /** The bytes to forward for `chunk`, and whether the escape was completed. */
  push(chunk: Uint8Array): { forward: Uint8Array; escape: boolean } {
    const forward: number[] = [];
    for (const byte of chunk) {
      if (byte === CTRL_B) {
        if (++this.#held === ESCAPE_COUNT) {
          this.#held = 0;
          return { forward: new Uint8Array(forward), escape: true };
        }
        continue;
      }
      for (; this.#held > 0; this.#held--) forward.push(CTRL_B);
      forward.push(byte);
    }
    return { forward: new Uint8Array(forward), escape: false };
  }
}

/** Where a console reads keys and writes output. */
export interface ConsoleIo {
  input: ReadableStream<Uint8Array>;
  output: WritableStream<Uint8Array>;
  /** Given for a terminal: the console switches it to raw mode and always back. */
  setRaw?: (raw: boolean) => void;
  /** Ends the console (the CLI ties it to SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Pipe mode: milliseconds of output still shown after the input ended (default 500). */
  lingerMs?: number;
}

/** Why a console ended without an error. */
export type ConsoleEnd = "escape" | "remote-closed" | "input-ended" | "interrupted";

function aborted(signal: AbortSignal | undefined): Promise<"interrupted"> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) return resolve("interrupted");
    signal.addEventListener("abort", () => resolve("interrupted"), { once: true });
  });
}

/**
 * Runs a console on `stream` until the escape (terminal), the end of input (pipe, after the
 * linger time), the remote end closing, or `io.signal`. The terminal is restored on every path.
 *
 * @throws the stream's error when the connection fails (e.g. the device was unplugged).
 */
export async function runConsole(stream: ByteStream, io: ConsoleIo): Promise<ConsoleEnd> {
  const interactive = io.setRaw !== undefined;
  const stop = new AbortController();
  const writer = stream.writable.getWriter();
  const reader = io.input.getReader();
  const interrupted = aborted(io.signal);
  const output = stream.readable
    .pipeTo(io.output, { preventClose: true, preventAbort: true, signal: stop.signal })
    .then((): ConsoleEnd => "remote-closed");
  const input = (async (): Promise<ConsoleEnd> => {
    const detector = new EscapeDetector();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "input-ended";
      if (!interactive) {
        await writer.write(value);
        continue;
      }
      const { forward, escape } = detector.push(value);
      if (forward.byteLength > 0) await writer.write(forward);
      if (escape) return "escape";
    }
  })();
  // whichever loses the race is torn down below; its rejection is not news
  output.catch(() => {});
  input.catch(() => {});
  let linger: ReturnType<typeof setTimeout> | undefined;
  io.setRaw?.(true);
  try {
    const end = await Promise.race([output, input, interrupted]);
    if (end !== "input-ended") return end;
    const lingered = new Promise<"input-ended">((resolve) => {
      linger = setTimeout(() => resolve("input-ended"), io.lingerMs ?? 500);
    });
    return await Promise.race([output, lingered, interrupted]);
  } finally {
    clearTimeout(linger);
    io.setRaw?.(false);
    stop.abort();
    reader.releaseLock();
    await writer.close().catch(() => {});
    // the output is free for the caller once the pipe has let go of it
    await output.catch(() => {});
  }
}
