/**
 * For `http2_reentry_test.ts`: node:http2 sessions that receive a GOAWAY while no stream is open,
 * the moment Deno 2.9 frees a session under nghttp2 (denoland/deno#36788). `deno run` it with
 * `client` (the server says GOAWAY) or `server` (the client does), and `guarded` to install
 * {@linkcode guardHttp2Sessions} first. Right after the receiving session's `close()`, memory of
 * the size of a freed nghttp2 session is allocated and scribbled on, so that a use of the freed
 * session crashes at once instead of some time later. Prints `survived` and exits 0 when all of
 * its sessions closed.
 *
 * @module
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { guardHttp2Sessions } from "../http2_reentry.ts";

const SESSIONS = 20;
/** `sizeof(nghttp2_session)` in nghttp2 1.68 on x86-64, as valgrind reported the freed block */
const SESSION_BYTES = 2760;

const [side, guarded] = Deno.args;
if (guarded === "guarded" && !guardHttp2Sessions()) throw new Error("the guard is not in place");

/** After `session.close()`, fills freshly allocated memory of a session's size. */
function scribbleAfterClose(session: http2.Http2Session): void {
  const close = session.close.bind(session);
  session.close = (callback?: () => void) => {
    close(callback);
    for (let i = 0; i < 64; i++) new Uint8Array(SESSION_BYTES).fill(0xa5);
  };
}

const server = http2.createServer();
server.on("session", (session) => {
  session.on("error", () => {});
  if (side === "server") scribbleAfterClose(session);
});
server.on("stream", (stream: http2.ServerHttp2Stream) => {
  const session = stream.session!;
  stream.respond({ ":status": 200 });
  stream.end("x");
  if (side === "client") stream.on("close", () => setTimeout(() => session.close(), 10));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;

await Promise.all(Array.from({ length: SESSIONS }, () =>
  new Promise<void>((resolve) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    session.on("close", resolve);
    if (side === "client") scribbleAfterClose(session);
    const request = session.request({ ":path": "/" });
    request.resume();
    request.on("error", () => {});
    if (side === "server") request.on("close", () => session.close());
  })));
server.close();
console.log("survived");
