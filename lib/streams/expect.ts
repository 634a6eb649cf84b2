/**
 * Expect: pexpect-style scripting over any byte stream (a serial console, a TCP socket, a
 * process): wait for text or patterns in what the peer sends, send text back, and keep a
 * transcript for error messages.
 *
 * @example Log in on a serial console
 * ```ts ignore
 * await using console = new Expect(await serial.connect(), { timeout: 60 });
 * await console.expect("login:");
 * await console.sendline("root");
 * const { index } = await console.expect(["Password:", /[#$] $/]);
 * ```
 */
import { ConnectionError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import type { ByteStream } from "./frame_stream.ts";

/** As a pattern, matches the end of the stream instead of failing (pexpect's `EOF`). */
export const EOF: unique symbol = Symbol("EOF");
/** As a pattern, matches a timeout instead of failing (pexpect's `TIMEOUT`). */
export const TIMEOUT: unique symbol = Symbol("TIMEOUT");

/** What `expect` can wait for. */
export type ExpectPattern = string | RegExp | typeof EOF | typeof TIMEOUT;

/** Options of {@linkcode Expect}. */
export interface ExpectOptions {
  /** Seconds `expect` waits by default (30, as pexpect); `Infinity` waits for ever. */
  timeout?: number;
  /** Encoding of the received bytes, as a `TextDecoder` label (default "utf-8"). */
  encoding?: string;
  /** Appended by `sendline` (default "\n", as pexpect on POSIX). */
  linesep?: string;
  /** Most characters of transcript kept, oldest dropped first (default: all). */
  maxTranscript?: number;
}

/** Options of one {@linkcode Expect.expect} call. */
export interface ExpectCallOptions {
  /** Seconds to wait; default: the session's. */
  timeout?: number;
}

/** A successful `expect`. */
export interface ExpectMatch {
  /** Position of the matching pattern in the list (0 for a single pattern). */
  index: number;
  pattern: ExpectPattern;
  /** The matched text ("" for EOF and TIMEOUT). */
  match: string;
  /** The regular expression's match (groups), for a RegExp pattern. */
  groups: RegExpExecArray | undefined;
  /** Text received before the match. */
  before: string;
}

const TAIL_LINES = 20;
const TAIL_CHARS = 2000;

/** Describes patterns for messages: `"login:"`, `/\$ $/`, `EOF`. */
export function describePatterns(patterns: readonly ExpectPattern[]): string {
  return patterns.map((pattern) => {
    if (pattern === EOF) return "EOF";
    if (pattern === TIMEOUT) return "TIMEOUT";
    return typeof pattern === "string" ? JSON.stringify(pattern) : String(pattern);
  }).join(" or ");
}

/**
 * The last lines of `text` (at most 20 lines and 2000 characters), line endings normalised and
 * other control characters escaped so that it prints legibly.
 */
export function outputTail(text: string): string {
  let tail = text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text;
  tail = tail.replace(/\r\n/g, "\n").replace(/\r/g, "\n");
  const lines = tail.split("\n");
  if (lines.length > TAIL_LINES) tail = lines.slice(-TAIL_LINES).join("\n");
  // deno-lint-ignore no-control-regex
  return tail.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

function withTail(message: string, transcript: string): string {
  const tail = outputTail(transcript);
  return tail.trim() === ""
    ? `${message}; no output was received`
    : `${message}; last output:\n${tail}`;
}

/** `expect` waited longer than its timeout. */
export class ExpectTimeoutError extends DriverTimeoutError {
  readonly patterns: readonly ExpectPattern[];
  /** The end of the transcript when the wait gave up. */
  readonly tail: string;

  constructor(patterns: readonly ExpectPattern[], seconds: number, transcript: string) {
    super(
      withTail(
        `Timed out after ${seconds} s waiting for ${describePatterns(patterns)}`,
        transcript,
      ),
    );
    this.name = "ExpectTimeoutError";
    this.patterns = patterns;
    this.tail = outputTail(transcript);
  }
}

/** The stream ended (or failed) while `expect` was waiting. */
export class ExpectEofError extends ConnectionError {
  readonly patterns: readonly ExpectPattern[];
  readonly tail: string;

  constructor(patterns: readonly ExpectPattern[], transcript: string, cause?: unknown) {
    const how = cause === undefined
      ? "the stream ended"
      : `the stream failed (${cause instanceof Error ? cause.message : String(cause)})`;
    super(
      withTail(`End of stream while waiting for ${describePatterns(patterns)}: ${how}`, transcript),
      {
        cause,
      },
    );
    this.name = "ExpectEofError";
    this.patterns = patterns;
    this.tail = outputTail(transcript);
  }
}

function searchable(pattern: ExpectPattern): ExpectPattern {
  // global/sticky regexps carry lastIndex between calls; searches here always start at 0
  return pattern instanceof RegExp && /[gy]/.test(pattern.flags)
    ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""))
    : pattern;
}

/** An expect session over a byte stream; it owns the stream until `close`. */
export class Expect implements AsyncDisposable {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #decoder: TextDecoder;
  readonly #encoder = new TextEncoder();
  readonly #timeout: number;
  readonly #linesep: string;
  readonly #maxTranscript: number;
  #pending: Promise<void> | undefined;
  #buffer = "";
  #before = "";
  #match = "";
  #transcript = "";
  #eof: { error?: unknown } | undefined;
  #waiting = false;
  #closed: Promise<void> | undefined;

  constructor(stream: ByteStream, options: ExpectOptions = {}) {
    this.#reader = stream.readable.getReader();
    this.#writer = stream.writable.getWriter();
    this.#decoder = new TextDecoder(options.encoding ?? "utf-8");
    this.#timeout = options.timeout ?? 30;
    this.#linesep = options.linesep ?? "\n";
    this.#maxTranscript = options.maxTranscript ?? Infinity;
  }

  /** Received text not yet consumed by a match. */
  get buffer(): string {
    return this.#buffer;
  }

  /** Text before the last match (pexpect's `before`). */
  get before(): string {
    return this.#before;
  }

  /** The last matched text (pexpect's `after`). */
  get match(): string {
    return this.#match;
  }

  /** Everything received so far (bounded by `maxTranscript`). */
  get transcript(): string {
    return this.#transcript;
  }

  /** Whether the stream has ended. */
  get eof(): boolean {
    return this.#eof !== undefined;
  }

  #received(text: string): void {
    if (!text) return;
    this.#buffer += text;
    this.#transcript += text;
    if (this.#transcript.length > this.#maxTranscript) {
      this.#transcript = this.#transcript.slice(-this.#maxTranscript);
    }
  }

  /** Reads the next chunk into the buffer (or notes the end); one read is in flight at most. */
  #read(): Promise<void> {
    return this.#pending ??= this.#reader.read().then(
      ({ value, done }) => {
        this.#pending = undefined;
        if (!done) return this.#received(this.#decoder.decode(value, { stream: true }));
        this.#received(this.#decoder.decode());
        this.#eof = {};
      },
      (error) => {
        this.#pending = undefined;
        this.#received(this.#decoder.decode());
        this.#eof = { error };
      },
    );
  }

  #search(patterns: readonly ExpectPattern[]): ExpectMatch | undefined {
    let best: ExpectMatch | undefined;
    let bestAt = Infinity;
    patterns.forEach((pattern, index) => {
      if (pattern === EOF || pattern === TIMEOUT) return;
      let at: number;
      let text: string;
      let groups: RegExpExecArray | undefined;
      if (typeof pattern === "string") {
        at = this.#buffer.indexOf(pattern);
        text = pattern;
      } else {
        const found = pattern.exec(this.#buffer);
        if (!found) return;
        at = found.index;
        text = found[0];
        groups = found;
      }
      if (at < 0 || at >= bestAt) return;
      bestAt = at;
      best = { index, pattern: patterns[index]!, match: text, groups, before: "" };
    });
    if (!best) return undefined;
    const found: ExpectMatch = best;
    found.before = this.#buffer.slice(0, bestAt);
    this.#buffer = this.#buffer.slice(bestAt + found.match.length);
    this.#before = found.before;
    this.#match = found.match;
    return found;
  }

  #special(
    patterns: readonly ExpectPattern[],
    which: typeof EOF | typeof TIMEOUT,
  ): ExpectMatch | undefined {
    const index = patterns.indexOf(which);
    if (index < 0) return undefined;
    this.#before = this.#buffer;
    this.#match = "";
    // as pexpect: EOF consumes the buffer, TIMEOUT leaves it for the next expect
    if (which === EOF) this.#buffer = "";
    return { index, pattern: which, match: "", groups: undefined, before: this.#before };
  }

  /**
   * Waits until the received text matches one of `pattern` (the earliest match in the text wins;
   * on a tie, the first pattern), and consumes the text up to the end of the match.
   *
   * @throws {ExpectTimeoutError} after the timeout, with the tail of the output.
   * @throws {ExpectEofError} when the stream ends or fails first, with the tail of the output.
   */
  async expect(
    pattern: ExpectPattern | readonly ExpectPattern[],
    options: ExpectCallOptions = {},
  ): Promise<ExpectMatch> {
    if (this.#waiting) throw new TypeError("Cannot expect: another expect() is still waiting");
    if (this.#closed) throw new TypeError("Cannot expect: the session is closed");
    const patterns = (Array.isArray(pattern) ? pattern : [pattern]).map(searchable);
    if (patterns.length === 0) throw new TypeError("Cannot expect: no pattern was given");
    const seconds = options.timeout ?? this.#timeout;
    this.#waiting = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const expired = new Promise<"timeout">((resolve) => {
        if (Number.isFinite(seconds)) timer = setTimeout(() => resolve("timeout"), seconds * 1000);
      });
      for (;;) {
        const found = this.#search(patterns);
        if (found) return found;
        if (this.#eof) {
          const special = this.#special(patterns, EOF);
          if (special) return special;
          throw new ExpectEofError(patterns, this.#transcript, this.#eof.error);
        }
        if (await Promise.race([this.#read(), expired]) === "timeout") {
          const special = this.#special(patterns, TIMEOUT);
          if (special) return special;
          throw new ExpectTimeoutError(patterns, seconds, this.#transcript);
        }
      }
    } finally {
      clearTimeout(timer);
      this.#waiting = false;
    }
  }

  /** Sends text (UTF-8 encoded) or raw bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    if (this.#closed) throw new TypeError("Cannot send: the session is closed");
    await this.#writer.write(typeof data === "string" ? this.#encoder.encode(data) : data);
  }

  /** Sends `text` and the line separator. */
  async sendline(text = ""): Promise<void> {
    await this.send(text + this.#linesep);
  }

  /** Ends the session: closes the sending side and stops reading. */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      await this.#writer.close().catch(() => {});
      await this.#reader.cancel().catch(() => {});
      this.#writer.releaseLock();
      this.#reader.releaseLock();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
