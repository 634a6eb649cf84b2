/**
 * A client of Corellium's REST API, making the calls upstream's `ApiClient` makes: the same
 * paths under `https://<host>/api`, the same bearer token and JSON bodies.
 */
import { z } from "zod";
import { DriverError } from "@jumpstarter/lib/wire";

/** An API call that failed: the `error` field of Corellium's JSON answer, or what went wrong. */
export class CorelliumApiError extends DriverError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CorelliumApiError";
  }
}

export interface Project {
  id: string;
  name: string;
}

/** A device model (`/v1/models`); its `flavor` is what an instance is created from. */
export interface DeviceModel {
  name: string;
  flavor: string;
  model: string;
}

/** An instance as upstream compares them: id and state (`on`, `off`, `creating`, ...). */
export interface Instance {
  id: string;
  state: string | null;
}

export interface ApiOptions {
  /** CA certificates (PEM) trusted besides the system's, for a private API host. */
  caCerts?: string[];
}

const projectList = z.array(
  z.object({ id: z.string(), name: z.string() }).loose(),
);
const modelList = z.array(
  z.object({ name: z.string(), flavor: z.string(), model: z.string() }).loose(),
);
const instanceList = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    state: z.string().nullable().optional(),
  }).loose(),
);
const created = z.object({ id: z.string() }).loose();
const instanceDetail = z.object({
  consoles: z.array(z.object({ name: z.string(), id: z.string() }).loose())
    .optional(),
}).loose();
const consoleUrl = z.object({ url: z.string() }).loose();

export class CorelliumApi implements Disposable {
  readonly host: string;
  readonly #token: string;
  readonly #caCerts: string[] | undefined;
  /** Made on first use and dropped by dispose, so the driver outlives a session's end. */
  #client: Deno.HttpClient | undefined;

  constructor(host: string, token: string, options: ApiOptions = {}) {
    this.host = host;
    this.#token = token;
    this.#caCerts = options.caCerts;
  }

  get baseUrl(): string {
    return `https://${this.host}/api`;
  }

  /** For websocket connections to the same host (the console). */
  get httpClient(): Deno.HttpClient | undefined {
    if (this.#caCerts === undefined) return undefined;
    this.#client ??= Deno.createHttpClient({ caCerts: this.#caCerts });
    return this.#client;
  }

  /** The project whose name or id is `ref`, or undefined. */
  async getProject(ref: string): Promise<Project | undefined> {
    const projects = await this.#json(projectList, "GET", "/v1/projects");
    const found = projects.find((project) => project.name === ref || project.id === ref);
    return found === undefined ? undefined : { id: found.id, name: found.name };
  }

  /** The device model named `model`, or undefined. */
  async getDevice(model: string): Promise<DeviceModel | undefined> {
    const models = await this.#json(modelList, "GET", "/v1/models");
    return models.find((device) => device.model === model);
  }

  async createInstance(
    name: string,
    project: Project,
    device: DeviceModel,
    os: string,
    osBuild: string,
  ): Promise<Instance> {
    const body = {
      name,
      project: project.id,
      flavor: device.flavor,
      os,
      osbuild: osBuild,
    };
    const answer = await this.#json(created, "POST", "/v1/instances", body);
    return {
      id: answer.id,
      state: typeof answer.state === "string" ? answer.state : null,
    };
  }

  /** The instance whose name or id is `ref`, or undefined when none is listed. */
  async getInstance(ref: string): Promise<Instance | undefined> {
    const instances = await this.#json(instanceList, "GET", "/v1/instances");
    const found = instances.find((instance) => instance.name === ref || instance.id === ref);
    return found === undefined ? undefined : { id: found.id, state: found.state ?? null };
  }

  async setInstanceState(instance: Instance, state: string): Promise<void> {
    await this.#call("PUT", `/v1/instances/${instance.id}/state`, { state });
  }

  async destroyInstance(instance: Instance): Promise<void> {
    await this.#call("DELETE", `/v1/instances/${instance.id}`);
  }

  /** The id (`port-N-cons`) of the instance's console named `name`, or undefined. */
  async getConsoleId(
    instance: Instance,
    name: string,
  ): Promise<string | undefined> {
    const detail = await this.#json(instanceDetail, "GET", `/v1/instances/${instance.id}`);
    return detail.consoles?.find((console) => console.name === name)?.id;
  }

  /** The websocket URL of a console (`type` is its id without `port-`, as upstream sends). */
  async getConsoleUrl(instance: Instance, consoleId: string): Promise<string> {
    const type = encodeURIComponent(consoleId.replace("port-", ""));
    const path = `/v1/instances/${instance.id}/console?type=${type}`;
    return (await this.#json(consoleUrl, "GET", path)).url;
  }

  /** Calls the API and checks the answer's shape, failing in one line when it is not. */
  async #json<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown): Promise<T> {
    const parsed = schema.safeParse(await this.#call(method, path, body));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "the answer";
    throw new CorelliumApiError(
      `Corellium API ${method} ${this.baseUrl}${path}: unexpected answer at ${where}: ${issue?.message}`,
    );
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const what = `Corellium API ${method} ${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          "Authorization": `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(this.httpClient === undefined ? {} : { client: this.httpClient }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new CorelliumApiError(`${what} failed: ${innermost(error)}`, { cause: error });
    }
    const text = await response.text();
    if (response.status === 204 || text === "") {
      if (response.ok) return null;
      throw new CorelliumApiError(`${what}: HTTP ${response.status}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new CorelliumApiError(
        `${what}: HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`,
      );
    }
    if (!response.ok) {
      const error = (data as { error?: unknown } | null)?.error;
      const why = typeof error === "string" ? error : text.slice(0, 120);
      throw new CorelliumApiError(`${what}: HTTP ${response.status}: ${why}`);
    }
    return data;
  }

  [Symbol.dispose](): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

/** The message of the innermost cause: fetch's own says only "fetch failed". */
function innermost(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  const message = current instanceof Error ? current.message : String(current);
  return message.replace(/^error sending request for url \([^)]*\): /, "").split("\n")[0]!;
}
