/**
 * Real peers for the network tests: socat listeners as subprocesses, curl, and a few helpers.
 */
import { type Socat, startSocat as startSocatUntil } from "../../serial/_testing/pty.ts";

export type { Socat };

/** A port that was free a moment ago (bind to 0, read it, release it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts `socat -d -d <a> <b>` and resolves once it reports that it is listening.
 *
 * @example Echo server on a TCP port: `startSocat(`TCP4-LISTEN:${port},reuseaddr,fork`, "PIPE")`
 */
export function startSocat(a: string, b: string): Promise<Socat> {
  return startSocatUntil(a, b, { ready: "listening on" });
}

/** Runs curl with `args` (plus `-sS`) and `stdin` as its input; returns code, stdout, stderr. */
export async function curl(
  args: string[],
  stdin?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command("curl", {
    args: ["-sS", "--max-time", "30", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const result = await child.output();
  return {
    code: result.code,
    stdout: result.stdout,
    stderr: new TextDecoder().decode(result.stderr),
  };
}

/** Everything a readable yields, concatenated. */
export async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(readable).arrayBuffer());
}

/**
 * Writes `data` to `conn` while reading, half-closes after the last byte, and reads until the
 * peer ends; returns what came back. The connection is closed afterwards.
 */
export async function exchange(conn: Deno.Conn, data: Uint8Array): Promise<Uint8Array> {
  const writing = (async () => {
    for (let offset = 0; offset < data.byteLength;) {
      offset += await conn.write(data.subarray(offset));
    }
    await conn.closeWrite();
  })();
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let count; (count = await conn.read(buffer)) !== null;) {
      chunks.push(buffer.slice(0, count));
    }
    await writing;
  } finally {
    conn.close();
  }
  return await collect(ReadableStream.from(chunks));
}
