/**
 * GET requests to ustreamer's HTTP server on its Unix socket. One HTTP client per request:
 * ustreamer closes idle keep-alive connections, which a pooled client would then write into.
 */
import { ConnectionError, DriverError } from "@jumpstarter/lib/wire";

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The host the requests name. Deno checks a fetch's URL against the net grant even when it goes
 * through a Unix socket, so it is a reserved name (RFC 6761 `.invalid`): granting it reaches
 * nothing else (ustreamer ignores the Host header).
 */
export const UNIX_HTTP_HOST = "ustreamer.invalid";

/**
 * The body of `GET http://ustreamer.invalid{path}` over the socket at `socket`.
 *
 * @throws {ConnectionError} when the socket does not answer; {DriverError} on an error status.
 */
export async function getUnix(socket: string, path: string): Promise<Response> {
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  try {
    let response: Response;
    try {
      response = await fetch(`http://${UNIX_HTTP_HOST}${path}`, {
        client,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = (error as Error).cause instanceof Error
        ? ((error as Error).cause as Error).message
        : (error as Error).message;
      throw new ConnectionError(`ustreamer ${path} on ${socket}: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DriverError(`ustreamer ${path} answered ${response.status} ${response.statusText}`);
    }
    // read it all before the client closes
    const body = await response.arrayBuffer();
    return new Response(body, { status: response.status, headers: response.headers });
  } finally {
    client.close();
  }
}
