/**
 * The router: pairs the two `RouterService.Stream` calls that present the same router token
 * (client end and exporter end of one tunnel) and copies frames between them unchanged. It never
 * looks inside: frames are forwarded as raw message bytes (StreamRequest and StreamResponse
 * share their layout), GOAWAY included; a half-close is not passed on, as upstream. Tunnel ends
 * that ask for the fast path learn our splice port in the headers (router_splice.ts).
 */
import * as grpc from "@grpc/grpc-js";
import type { Buffer } from "node:buffer";
import { AuthFailureThrottle, peerHost } from "@jumpstarter/lib/wire";
import { FAST_PATH_REQUEST_KEY, SPLICE_PORT_KEY } from "@jumpstarter/lib/streams";
import { type Authority, ROUTER_TOKEN_SECONDS, TokenError } from "./auth.ts";
import type { SpliceRouter } from "./router_splice.ts";

type Call = grpc.ServerDuplexStream<Buffer, Buffer>;

const identity = (bytes: Buffer) => bytes;

/** The router's service definition, on raw bytes. */
export const routerServiceDefinition: grpc.ServiceDefinition = {
  stream: {
    path: "/jumpstarter.v1.RouterService/Stream",
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

function bearer(call: Call): string | undefined {
  const values = call.metadata.get("authorization");
  if (values.length !== 1) return undefined;
  const match = /^bearer\s+(.+)$/i.exec(String(values[0]));
  return match?.[1];
}

function fail(call: Call, code: grpc.status, details: string): void {
  call.emit("error", Object.assign(new Error(details), { code, details }));
}

/**
 * Copies frames from `from` to `to` with backpressure, telling `copied` each frame's size;
 * resolves when `from` ends or fails.
 */
function forward(
  from: Call,
  to: Call,
  copied: (bytes: number) => void,
): Promise<Error | undefined> {
  return new Promise((resolve) => {
    from.on("data", (frame: Buffer) => {
      copied(frame.length);
      if (!to.write(frame)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
    });
    from.once("end", () => resolve(undefined));
    from.once("error", (error: Error) => resolve(error));
    from.once("cancelled", () => resolve(new Error("peer cancelled")));
  });
}

/**
 * How long a tunnel end waits for its peer. The exporter joins within moments of a Dial; one that
 * never comes (its lease ended while the ticket was on its way) would leave the client's
 * connection, and the `j` on it, waiting forever.
 */
export const PARK_TIMEOUT_MS = 30_000;

/** Pairs tunnel ends by stream id. */
export class Router {
  readonly #authority: Authority;
  readonly #parkTimeoutMs: number;
  /** Tunnel ends waiting for their peer, each with the timer that gives up on it. */
  readonly #parked = new Map<string, { call: Call; giveUp: ReturnType<typeof setTimeout> }>();
  /**
   * Stream ids already paired, with when they may be forgotten (their token has expired by
   * then): a token is good for one tunnel, and a replay is refused at once instead of parking.
   */
  readonly #spent = new Map<string, number>();
  #paired = 0;
  #active = 0;
  #bytes = 0;
  readonly #failures = new AuthFailureThrottle();
  /** Our splice port (router_splice.ts), named to the tunnel ends that ask for the fast path. */
  splice: SpliceRouter | undefined;

  constructor(authority: Authority, { parkTimeoutMs = PARK_TIMEOUT_MS } = {}) {
    this.#authority = authority;
    this.#parkTimeoutMs = parkTimeoutMs;
  }

  /** Streams currently waiting for their peer. */
  get parked(): number {
    return this.#parked.size;
  }

  /** Tunnels paired since start. */
  get paired(): number {
    return this.#paired;
  }

  /** Tunnels paired and copying now (not counting the splice port's). */
  get active(): number {
    return this.#active;
  }

  /** Frame bytes copied since start, both directions. */
  get bytesRouted(): number {
    return this.#bytes;
  }

  /** The grpc-js implementation of `RouterService`. */
  implementation(): grpc.UntypedServiceImplementation {
    return { stream: (call: Call) => void this.#accept(call) };
  }

  async #accept(call: Call): Promise<void> {
    const token = bearer(call);
    if (!token) return fail(call, grpc.status.UNAUTHENTICATED, "missing router token");
    let streamId: string;
    try {
      streamId = await this.#authority.verifyRouterToken(token);
    } catch (error) {
      const details = error instanceof TokenError ? error.message : "invalid router token";
      await this.#failures.refuse(peerHost(call.getPeer()), `router: ${details}`);
      return fail(call, grpc.status.UNAUTHENTICATED, details);
    }
    this.#forgetExpired();
    if (this.#spent.has(streamId)) {
      console.error(`router: refused a replayed router token from ${call.getPeer()}`);
      return fail(call, grpc.status.PERMISSION_DENIED, "router token already used");
    }
    const waiting = this.#parked.get(streamId);
    if (!waiting) {
      this.#park(streamId, call);
      return;
    }
    this.#parked.delete(streamId);
    clearTimeout(waiting.giveUp);
    this.#spent.set(streamId, Date.now() + ROUTER_TOKEN_SECONDS * 1000);
    this.#paired++;
    await this.#pair(waiting.call, call);
  }

  #park(streamId: string, call: Call): void {
    const unpark = () => {
      const parked = this.#parked.get(streamId);
      if (parked?.call !== call) return false;
      clearTimeout(parked.giveUp);
      this.#parked.delete(streamId);
      return true;
    };
    const giveUp = setTimeout(() => {
      if (!unpark()) return;
      fail(
        call,
        grpc.status.UNAVAILABLE,
        `the other end of the tunnel did not arrive within ${this.#parkTimeoutMs / 1000} s ` +
          "(the lease may have ended)",
      );
    }, this.#parkTimeoutMs);
    this.#parked.set(streamId, { call, giveUp });
    call.once("cancelled", unpark);
    call.once("error", unpark);
  }

  #headersFor(call: Call): grpc.Metadata {
    const headers = new grpc.Metadata();
    const asked = call.metadata.get(FAST_PATH_REQUEST_KEY).length > 0;
    if (asked && this.splice) headers.set(SPLICE_PORT_KEY, `${this.splice.port}`);
    return headers;
  }

  #forgetExpired(): void {
    const now = Date.now();
    // insertion order is expiry order: stop at the first still live
    for (const [id, until] of this.#spent) {
      if (until > now) break;
      this.#spent.delete(id);
    }
  }

  async #pair(first: Call, second: Call): Promise<void> {
    for (const call of [first, second]) call.sendMetadata(this.#headersFor(call));
    const copied = (bytes: number) => this.#bytes += bytes;
    const directions = [forward(first, second, copied), forward(second, first, copied)];
    // a broken side ends the tunnel (the other completes with OK, as upstream); half-closes
    // only end their own direction, and the calls complete once both directions are done
    this.#active++;
    try {
      const firstEnded = await Promise.race(directions);
      if (!firstEnded) await Promise.all(directions);
    } finally {
      this.#active--;
    }
    for (const call of [first, second]) {
      try {
        call.end();
      } catch { /* already gone */ }
    }
  }
}
