/**
 * An emulated MJPEG camera like an ESP32's: `GET /stream` answers `multipart/x-mixed-replace`
 * whose parts carry no `Content-Length` (each ends at the next boundary), sent with HTTP/1.1
 * chunked transfer coding (Deno.serve chunks a streamed body); after `frames` frames it closes the
 * multipart body.
 */

/** A running emulated camera. */
export interface MjpegCameraEmulator extends AsyncDisposable {
  url: string;
  /** How many `/stream` requests it has had. */
  readonly requests: number;
}

/** Serves `frame` over and over at `/stream`, up to `frames` frames per request. */
export function startMjpegCameraEmulator(frame: Uint8Array, frames = 5): MjpegCameraEmulator {
  const encoder = new TextEncoder();
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname !== "/stream") return new Response(null, { status: 404 });
    requests++;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === frames) {
          controller.enqueue(encoder.encode("--frame--\r\n"));
          return controller.close();
        }
        sent++;
        controller.enqueue(encoder.encode("--frame\r\nContent-Type: image/jpeg\r\n\r\n"));
        controller.enqueue(frame);
        controller.enqueue(encoder.encode("\r\n"));
      },
    });
    return new Response(body, {
      headers: { "content-type": "multipart/x-mixed-replace; boundary=frame" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get requests() {
      return requests;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
