/**
 * An EMULATOR of Corellium's REST API and console websocket, for tests: HTTPS on 127.0.0.1 with
 * a self-signed certificate, answering the calls upstream's `ApiClient` makes with the shapes of
 * upstream's recorded fixtures, and checking the bearer token and JSON bodies as the API would.
 * Instances move through Corellium's states (creating -> on, on -> off, deleting -> gone), one step
 * per instance listing, so a client has to poll as upstream's does.
 */
import selfsigned from "selfsigned";

export const PROJECT = {
  id: "778f00af-5e9b-40e6-8e7f-c4f14b632e9c",
  name: "Default Project",
};
export const MODEL = {
  type: "iot",
  name: "RD-1AE",
  flavor: "kronos",
  description: "Arm RD-1AE",
  model: "kronos",
  peripherals: false,
  quotas: { cores: 4, cpus: 4 },
};
export const CONSOLES = [
  { name: "Secure", id: "port-1-cons", port: "4001" },
  { name: "Primary Compute Non-Secure", id: "port-2-cons", port: "4002" },
];

interface EmulatedInstance {
  id: string;
  name: string;
  project: string;
  flavor: string;
  os: string;
  osbuild: string;
  state: string;
  /** The state a listing moves it to next, if it is in transition. */
  next: string | undefined;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A canned failure for the next `method` request whose path starts with `path`. */
interface Fault {
  method: string;
  path: string;
  status: number;
  body: string;
}

export class CorelliumEmulator implements AsyncDisposable {
  readonly token: string;
  readonly cert: string;
  readonly requests: RecordedRequest[] = [];
  readonly instances = new Map<string, EmulatedInstance>();
  /** What each console session received, by instance id. */
  readonly consoleInput = new Map<string, string>();
  readonly #faults: Fault[] = [];
  readonly #sockets = new Set<WebSocket>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #ids = 0;

  private constructor(token: string, cert: string, key: string) {
    this.token = token;
    this.cert = cert;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
      (request) => this.#handle(request),
    );
  }

  static async start(token = "emulated-token"): Promise<CorelliumEmulator> {
    const pems = await selfsigned.generate([{
      name: "commonName",
      value: "127.0.0.1",
    }], {
      algorithm: "sha256",
      keyType: "ec",
      curve: "P-256",
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
      ],
    });
    return new CorelliumEmulator(token, pems.cert, pems.private);
  }

  /** `host:port`, what CORELLIUM_API_HOST holds. */
  get host(): string {
    return `127.0.0.1:${this.#server.addr.port}`;
  }

  /** The next `method` request under `path` fails with `status` and `body` (JSON or not). */
  fail(method: string, path: string, status: number, body: string): void {
    this.#faults.push({ method, path, status, body });
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/console/")) {
      return this.#console(request, url);
    }
    const path = url.pathname + url.search;
    const text = await request.text();
    let body: unknown = undefined;
    if (text !== "") {
      if (request.headers.get("content-type") !== "application/json") {
        return json(400, { error: "Content-Type must be application/json" });
      }
      try {
        body = JSON.parse(text);
      } catch {
        return json(400, { error: "Malformed JSON body" });
      }
    }
    this.requests.push({ method: request.method, path, body });
    const fault = this.#faults.findIndex((candidate) =>
      candidate.method === request.method && path.startsWith(candidate.path)
    );
    if (fault >= 0) {
      const { status, body } = this.#faults.splice(fault, 1)[0]!;
      return new Response(body, { status });
    }
    if (request.headers.get("authorization") !== `Bearer ${this.token}`) {
      return json(403, {
        error: "Invalid or missing authorization token",
        errorID: "PermissionDenied",
        originalError: "Invalid or missing authorization token",
      });
    }
    return this.#route(request.method, url, body);
  }

  #route(method: string, url: URL, body: unknown): Response {
    const path = url.pathname;
    if (method === "GET" && path === "/api/v1/projects") {
      return json(200, [PROJECT]);
    }
    if (method === "GET" && path === "/api/v1/models") {
      return json(200, [MODEL]);
    }
    if (method === "GET" && path === "/api/v1/instances") {
      const listed = [...this.instances.values()].map((instance) => ({
        ...instance,
      }));
      for (const instance of this.instances.values()) this.#step(instance);
      return json(200, listed.map(({ next: _, ...instance }) => instance));
    }
    if (method === "POST" && path === "/api/v1/instances") {
      return this.#create(body);
    }
    const match = path.match(
      /^\/api\/v1\/instances\/([^/]+)(\/state|\/console)?$/,
    );
    const instance = match === null ? undefined : this.instances.get(match[1]!);
    if (match === null) {
      return json(404, { error: `No route for ${method} ${path}` });
    }
    if (instance === undefined) {
      return json(404, { error: "Instance not found" });
    }
    const [, , tail] = match;
    if (method === "PUT" && tail === "/state") {
      const state = (body as { state?: unknown } | undefined)?.state;
      if (state !== "on" && state !== "off") {
        return json(400, { error: `Invalid state: ${JSON.stringify(state)}` });
      }
      if (instance.state !== state) {
        instance.state = state === "on" ? "booting" : "shutting-down";
        instance.next = state;
      }
      return new Response(null, { status: 204 });
    }
    if (method === "DELETE" && tail === undefined) {
      instance.state = "deleting";
      instance.next = "deleted";
      return new Response(null, { status: 204 });
    }
    if (method === "GET" && tail === undefined) {
      const { next: _, ...fields } = instance;
      return json(200, { ...fields, consoles: CONSOLES });
    }
    if (method === "GET" && tail === "/console") {
      const type = url.searchParams.get("type");
      if (!CONSOLES.some((console) => console.id === `port-${type}`)) {
        return json(400, { error: `Invalid console type: ${type}` });
      }
      return json(200, {
        url: `wss://${this.host}/console/${instance.id}/${type}`,
      });
    }
    return json(404, { error: `No route for ${method} ${path}` });
  }

  #create(body: unknown): Response {
    const fields = body as Record<string, unknown> | undefined;
    const wanted = ["name", "project", "flavor", "os", "osbuild"];
    if (
      fields === undefined ||
      Object.keys(fields).sort().join() !== [...wanted].sort().join() ||
      !wanted.every((key) => typeof fields[key] === "string")
    ) {
      return json(400, {
        error: `Expected string fields ${wanted.join(", ")}`,
      });
    }
    if (fields.project !== PROJECT.id) {
      return json(404, { error: "Project not found" });
    }
    if (fields.flavor !== MODEL.flavor) {
      return json(400, { error: "Invalid flavor" });
    }
    const id = `00000000-0000-4000-8000-${String(++this.#ids).padStart(12, "0")}`;
    this.instances.set(id, {
      id,
      name: fields.name as string,
      project: PROJECT.id,
      flavor: MODEL.flavor,
      os: fields.os as string,
      osbuild: fields.osbuild as string,
      state: "creating",
      next: "on",
    });
    return json(200, { id });
  }

  #step(instance: EmulatedInstance): void {
    if (instance.next === "deleted") this.instances.delete(instance.id);
    else if (instance.next !== undefined) instance.state = instance.next;
    instance.next = undefined;
  }

  /** The console: a banner, then each line typed is answered; only while the instance is on. */
  #console(request: Request, url: URL): Response {
    const [, , id] = url.pathname.split("/");
    const instance = this.instances.get(id ?? "");
    if (instance?.state !== "on") {
      return json(409, { error: "Instance is not on" });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    this.#sockets.add(socket);
    let line = "";
    socket.onopen = () => socket.send(`${instance.name} console\r\n`);
    socket.onmessage = (event) => {
      const text = typeof event.data === "string"
        ? event.data
        : new TextDecoder().decode(event.data as ArrayBuffer);
      this.consoleInput.set(
        instance.id,
        (this.consoleInput.get(instance.id) ?? "") + text,
      );
      for (const char of text) {
        if (char === "\r" || char === "\n") {
          if (line !== "") {
            socket.send(new TextEncoder().encode(`you said: ${line}\r\n`));
          }
          line = "";
        } else {
          line += char;
        }
      }
    };
    socket.onclose = () => this.#sockets.delete(socket);
    return response;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const socket of this.#sockets) socket.close();
    await this.#server.shutdown();
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}
