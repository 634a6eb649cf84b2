/**
 * Test peer: a small PDU with an HTTP API, served by `Deno.serve` on a free loopback port. It
 * records every request as received, checks credentials, content type and body strictly, and
 * keeps the outlet's state.
 *
 * Routes (outlet 3 only):
 * - `POST /outlets/3/power`, form body `state=on|off` → 200 `OK`
 * - `PUT /api/outlets/3`, JSON body `{"power":"on"|"off"}` → 204
 * - `GET /outlets/3` → JSON `{name, state, meter: {voltage, current}}` (current as a string)
 * - `GET /status` → text `state=ON V=230.1 I=0.42`
 */

import { freePort } from "@jumpstarter/lib/testing";

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

export { freePort };

export class FakePdu implements AsyncDisposable {
  readonly requests: RecordedRequest[] = [];
  state: "on" | "off" = "off";
  /** When set, every request is answered with this status (after being recorded). */
  failWith: number | undefined;
  readonly #authorization: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #held: PromiseWithResolvers<void> | undefined;

  /** Serves a PDU that accepts only requests carrying `authorization`. */
  constructor(authorization: string) {
    this.#authorization = authorization;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Makes requests wait without answering until {@linkcode release} is called. */
  hold(): void {
    this.#held ??= Promise.withResolvers();
  }

  release(): void {
    this.#held?.resolve();
    this.#held = undefined;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = await request.text();
    this.requests.push({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      authorization: request.headers.get("authorization"),
      contentType: request.headers.get("content-type"),
      body,
    });
    if (this.#held) await this.#held.promise;
    if (this.failWith !== undefined) return new Response("failure", { status: this.failWith });
    if (request.headers.get("authorization") !== this.#authorization) {
      return new Response("unauthorized", { status: 401 });
    }
    const contentType = request.headers.get("content-type");
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case "POST /outlets/3/power": {
        const state = body === "state=on" ? "on" : body === "state=off" ? "off" : undefined;
        if (contentType !== FORM || !state) return new Response("bad request", { status: 400 });
        this.state = state;
        return new Response("OK");
      }
      case "PUT /api/outlets/3": {
        const state = parsePower(body);
        if (contentType !== JSON_TYPE || !state) {
          return new Response("bad request", { status: 400 });
        }
        this.state = state;
        return new Response(null, { status: 204 });
      }
      case "GET /outlets/3":
        return Response.json({ name: "dut", state: this.state, meter: this.#meter() });
      case "GET /status": {
        const { voltage, current } = this.#meter();
        return new Response(`state=${this.state.toUpperCase()} V=${voltage} I=${current}\n`);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  }

  #meter(): { voltage: number; current: string } {
    return { voltage: 230.1, current: this.state === "on" ? "0.42" : "0" };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
    await this.#server.shutdown();
  }
}

function parsePower(body: string): "on" | "off" | undefined {
  try {
    const value: unknown = JSON.parse(body);
    const power = (value as { power?: unknown } | null)?.power;
    const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
    return keys.length === 1 && (power === "on" || power === "off") ? power : undefined;
  } catch {
    return undefined;
  }
}
