/**
 * The real `ustreamer` serving HTTP on a TCP port, standing in for an IP camera (its "no signal"
 * frame at `/snapshot`, MJPEG at `/stream`); ready once it answers `/state`.
 */

/** A free TCP port on 127.0.0.1 (closed again; the caller binds it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** A running ustreamer camera. */
export interface UStreamerCamera extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
}

/** Starts ustreamer on a free port and waits (up to 15 s) for it to listen. */
export async function startUStreamerCamera(): Promise<UStreamerCamera> {
  const port = freePort();
  const child = new Deno.Command("ustreamer", {
    args: ["--host", "127.0.0.1", "--port", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
  };
  // ustreamer logs this line once its HTTP server listens
  const listening = `Listening HTTP on [127.0.0.1]:${port}`;
  let log = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const deadline = setTimeout(() => reader.cancel(), 15_000);
  try {
    while (!log.includes(listening)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ustreamer did not listen on port ${port}; it said:\n${log}`);
      log += value;
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(deadline);
  }
  // keep draining its log so it never blocks on a full pipe
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return { url: `http://127.0.0.1:${port}`, port, [Symbol.asyncDispose]: stop };
}
