/**
 * `j video stream`'s local server: `/` a page showing the stream, `/snapshot` one JPEG frame, and
 * `/stream` the source's own MJPEG stream proxied through the exporter (frame rate is the
 * source's), as upstream's `VideoClient.cli()` serves.
 */
import type { VideoClient } from "./client.ts";

const LANDING_PAGE = `<!DOCTYPE html>
<html>
<head><title>Video</title>
<style>
  body { background: #1a1a1a; color: #eee; font-family: system-ui; margin: 0;
         display: flex; flex-direction: column; align-items: center; padding: 20px; }
  img { max-width: 100%; border: 1px solid #333; }
  a { color: #6cf; }
</style></head>
<body>
  <h2>Jumpstarter Video Stream</h2>
  <img src="/stream" alt="Live video stream" />
  <p><a href="/snapshot">Single snapshot (JPEG)</a></p>
</body>
</html>
`;

/** A running local video server. */
export interface VideoServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops it and drops the streams it proxies. */
  close(): Promise<void>;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function proxyStream(client: VideoClient, completed: Promise<void>): Promise<Response> {
  const stream = await client.openStream();
  // the browser went away, or the stream ended: drop the connection through the exporter
  completed.catch(() => {}).finally(() => stream.close());
  const { response } = stream;
  return new Response(response.body, {
    status: response.status,
    headers: {
      "content-type": response.headers.get("content-type") ??
        "multipart/x-mixed-replace; boundary=--",
    },
  });
}

/**
 * Serves `client`'s video on `127.0.0.1:port` (0 picks a free port).
 *
 * @throws {Error} one line naming the address when it cannot listen (say, the port is in use).
 */
export function serveVideo(client: VideoClient, port = 0): VideoServer {
  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/") {
        return new Response(LANDING_PAGE, { headers: { "content-type": "text/html" } });
      }
      if (pathname === "/snapshot") {
        return new Response(await client.snapshotBytes(), {
          headers: { "content-type": "image/jpeg" },
        });
      }
      if (pathname === "/stream") return await proxyStream(client, info.completed);
      return new Response("Not Found\n", { status: 404 });
    } catch (error) {
      return new Response(`${reasonOf(error)}\n`, { status: 502 });
    }
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
  } catch (error) {
    const reason = error instanceof Deno.errors.AddrInUse ? "the port is in use" : reasonOf(error);
    throw new Error(`Cannot listen on 127.0.0.1:${port}: ${reason}`);
  }
  const close = () => server.shutdown();
  return { url: `http://127.0.0.1:${server.addr.port}`, close, [Symbol.asyncDispose]: close };
}
