/**
 * Reading helpers of the serial tests: until a text was seen on a stream or on the board's end of
 * a pty, and the whole console log.
 */
import type { PySerialClient } from "../client.ts";
import type { TtyPort } from "../tty_port.ts";

const decoder = new TextDecoder();

/** Reads `readable` until `text` was seen; returns everything read. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${text}"; got ${JSON.stringify(seen)}`);
    seen += decoder.decode(value, { stream: true });
  }
  return seen;
}

/** Reads the board's end of a pty until `text` was seen; returns everything read. */
export async function readPeerUntil(peer: TtyPort, text: string): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const chunk = await peer.read();
    if (chunk === null) throw new Error("peer closed");
    seen += decoder.decode(chunk, { stream: true });
  }
  return seen;
}

/** The session's console log so far, as one string. */
export async function collectLog(client: PySerialClient): Promise<string> {
  let text = "";
  for await (const chunk of client.readLog()) text += chunk;
  return text;
}
