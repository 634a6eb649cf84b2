/**
 * Test peer: an EnerGenie EG-PMS2-LAN emulated at its HTTP boundary (no device is available),
 * served by `Deno.serve` on a free loopback port.
 *
 * Like the device, it keeps the login per client IP address (no cookies), answers a wrong
 * password and a command from a host that is not logged in with status 200 and its login form,
 * logs out on `GET /login.html`, and shows the socket states as `var sockstates = [...]` on the
 * page it returns after a login or a command. It also checks content type and body strictly.
 */

/** One request as the emulator saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | null;
  body: string;
}

const FORM = "application/x-www-form-urlencoded";

const LOGIN_PAGE = `<html><body><form method="post" action="login.html">
<input type="password" name="pw" size="10"><input type="submit" value="Enter">
</form></body></html>`;

function html(text: string): Response {
  return new Response(text, { headers: { "Content-Type": "text/html" } });
}

export class EnerGenieEmulator implements AsyncDisposable {
  readonly requests: RecordedRequest[] = [];
  /** What happened, in order: `login`, `login refused`, `cte3=1`, `cte3=1 refused`, `logout`. */
  readonly events: string[] = [];
  /** Socket states, index 0 is socket 1. */
  readonly sockets: [number, number, number, number] = [0, 0, 0, 0];
  /** When set, every request is answered with this status (after being recorded). */
  failWith: number | undefined;
  /** Called with each event as it is recorded. */
  onEvent: ((event: string) => void) | undefined;
  readonly #password: string;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  /** The client IP address that is logged in, as the device reserves the session per IP. */
  #session: string | undefined;
  #held: PromiseWithResolvers<void> | undefined;

  constructor(password: string) {
    this.#password = password;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request, info) => this.#handle(request, info.remoteAddr.hostname),
    );
  }

  /** `127.0.0.1:<port>`, what the driver's `host` takes. */
  get host(): string {
    return `127.0.0.1:${this.#server.addr.port}`;
  }

  /** Makes requests wait without answering until {@linkcode release} is called. */
  hold(): void {
    this.#held ??= Promise.withResolvers();
  }

  release(): void {
    this.#held?.resolve();
    this.#held = undefined;
  }

  /** Forgets the login, as the device does when its session times out. */
  expireSession(): void {
    this.#session = undefined;
  }

  #record(event: string): void {
    this.events.push(event);
    this.onEvent?.(event);
  }

  #controlPage(): Response {
    return html(`<html><body>
<div class="boxmenuitem"><a href="login.html">Log Out</a></div>
<script>var sockstates = [${this.sockets.join(",")}];</script>
</body></html>`);
  }

  async #handle(request: Request, client: string): Promise<Response> {
    const url = new URL(request.url);
    const body = await request.text();
    const contentType = request.headers.get("content-type");
    this.requests.push({ method: request.method, path: url.pathname, contentType, body });
    if (this.#held) await this.#held.promise;
    if (this.failWith !== undefined) return new Response("error", { status: this.failWith });

    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /login.html") {
      if (this.#session === client) this.#session = undefined;
      this.#record("logout");
      return html(LOGIN_PAGE);
    }
    if (request.method === "POST" && contentType !== FORM) {
      return new Response("unsupported content type", { status: 415 });
    }
    const fields = [...new URLSearchParams(body)];
    if (route === "POST /login.html") {
      const [field] = fields;
      if (fields.length !== 1 || field?.[0] !== "pw") {
        return new Response("bad login form", { status: 400 });
      }
      if (field[1] !== this.#password || (this.#session ?? client) !== client) {
        this.#record("login refused");
        return html(LOGIN_PAGE);
      }
      this.#session = client;
      this.#record("login");
      return this.#controlPage();
    }
    if (route === "POST /") {
      const [field] = fields;
      const socket = /^cte([1-4])$/.exec(field?.[0] ?? "")?.[1];
      const state = field?.[1];
      if (fields.length !== 1 || socket === undefined || (state !== "0" && state !== "1")) {
        return new Response("bad command form", { status: 400 });
      }
      const command = `cte${socket}=${state}`;
      if (this.#session !== client) {
        this.#record(`${command} refused`);
        return html(LOGIN_PAGE);
      }
      this.sockets[Number(socket) - 1] = Number(state);
      this.#record(command);
      return this.#controlPage();
    }
    return new Response("not found", { status: 404 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
    await this.#server.shutdown();
  }
}
