/**
 * One MQTT connection to the broker: connect within a limit, subscribe, publish with QoS 1, and
 * hand incoming messages to listeners. A link never reconnects by itself: once it is lost, the
 * driver opens a new one, so a command that failed is never replayed later by the library.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { ConnectionError, JumpstarterError } from "@jumpstarter/lib/wire";
import { racing } from "./deadline.ts";

/** Where and how to reach the broker (upstream's paho settings). */
export interface BrokerOptions {
  /** Host name, or the socket path for `unix`. */
  host: string;
  port: number;
  transport: "tcp" | "websockets" | "unix";
  tls: boolean;
  /** PEM text of the CA to trust instead of the default roots. */
  ca?: string | undefined;
  clientId?: string | null | undefined;
  username?: string | null | undefined;
  password?: string | null | undefined;
}

/** paho's default websocket path, which upstream does not change. */
const WEBSOCKET_PATH = "/mqtt";

/** The broker as named in messages: `mqtts://host:1883`, `ws://host:9001/mqtt`, `unix:/path`. */
export function brokerName(options: BrokerOptions): string {
  if (options.transport === "unix") return `unix:${options.host}`;
  const websockets = options.transport === "websockets";
  const scheme = websockets ? (options.tls ? "wss" : "ws") : (options.tls ? "mqtts" : "mqtt");
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return `${scheme}://${host}:${options.port}${websockets ? WEBSOCKET_PATH : ""}`;
}

function clientOptions(options: BrokerOptions, connectMs: number): IClientOptions {
  const base: IClientOptions = {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: connectMs,
    ...(options.clientId ? { clientId: options.clientId } : {}),
    ...(typeof options.username === "string" ? { username: options.username } : {}),
    ...(typeof options.password === "string" ? { password: options.password } : {}),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
  if (options.transport === "unix") {
    return { ...base, protocol: "mqtt", unixSocket: true, path: options.host };
  }
  const { host, port } = options;
  if (options.transport === "websockets") {
    return { ...base, protocol: options.tls ? "wss" : "ws", host, port, path: WEBSOCKET_PATH };
  }
  return { ...base, protocol: options.tls ? "mqtts" : "mqtt", host, port };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Receives every message of the subscribed topics. */
export type MessageListener = (topic: string, payload: string) => void;

/** A connected MQTT client subscribed to the driver's topics. */
export class MqttLink {
  /** The broker, for messages. */
  readonly broker: string;
  readonly #client: MqttClient;
  readonly #listeners = new Set<MessageListener>();
  readonly #lost: Promise<never>;
  #open = true;

  private constructor(client: MqttClient, broker: string) {
    this.#client = client;
    this.broker = broker;
    let markLost: (error: Error) => void = () => {};
    this.#lost = new Promise<never>((_, reject) => markLost = reject);
    this.#lost.catch(() => {});
    let lastError: unknown;
    client.on("error", (error) => lastError = error);
    client.on("close", () => {
      if (!this.#open) return;
      this.#open = false;
      const why = lastError === undefined ? "" : ` (${reason(lastError)})`;
      markLost(new ConnectionError(`Lost the connection to MQTT broker ${broker}${why}`));
    });
    client.on("message", (topic, payload) => {
      const text = new TextDecoder().decode(payload);
      for (const listener of [...this.#listeners]) listener(topic, text);
    });
  }

  /**
   * Connects and subscribes to `topics` before `signal` aborts.
   *
   * @throws {ConnectionError} naming the broker when it cannot be reached, refuses the client
   *   (e.g. bad credentials), refuses a subscription, or does not answer in time.
   */
  static async open(
    options: BrokerOptions,
    topics: readonly string[],
    signal: AbortSignal,
    limit: string,
  ): Promise<MqttLink> {
    const broker = brokerName(options);
    // the deadline is the real limit; this only bounds a wait that has none
    const client = mqtt.connect(clientOptions(options, 30_000));
    let lastError: unknown;
    const onError = (error: unknown) => lastError = error;
    client.on("error", onError);
    const connected = new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("close", () => {
        const why = lastError === undefined
          ? "the connection closed before the broker answered"
          : reason(lastError);
        // upstream defaults to TLS on port 1883, so a plain listener is a likely mistake
        const hint = options.tls && /TLS/.test(why)
          ? " (tls is on: is this a TLS listener? set tls: false for a plain one)"
          : "";
        reject(new ConnectionError(`Cannot connect to MQTT broker ${broker}: ${why}${hint}`));
      });
    });
    try {
      await racing(
        connected,
        signal,
        () => new ConnectionError(`Cannot connect to MQTT broker ${broker} within ${limit}`),
      );
      const link = new MqttLink(client, broker);
      await link.#subscribe(topics, signal, limit);
      return link;
    } catch (error) {
      client.end(true);
      throw error;
    } finally {
      client.off("error", onError);
    }
  }

  async #subscribe(topics: readonly string[], signal: AbortSignal, limit: string): Promise<void> {
    const grants = await this.#guard(
      this.#client.subscribeAsync([...topics], { qos: 1 }),
      signal,
      () =>
        new ConnectionError(
          `MQTT broker ${this.broker} did not confirm the subscription within ${limit}`,
        ),
    );
    const refused = grants.filter((grant) => grant.qos === 128).map((grant) => grant.topic);
    if (refused.length) {
      throw new ConnectionError(
        `MQTT broker ${this.broker} refused the subscription to ${refused.join(", ")}`,
      );
    }
  }

  /** Whether the connection is still up. */
  get open(): boolean {
    return this.#open && this.#client.connected;
  }

  /** Adds a listener; the returned function removes it. */
  listen(listener: MessageListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Publishes with QoS 1 and waits for the broker's acknowledgement.
   *
   * @throws {ConnectionError} when the connection is or gets lost.
   */
  async publish(
    topic: string,
    payload: string,
    signal: AbortSignal,
    expired: () => Error,
  ): Promise<void> {
    if (!this.open) {
      throw new ConnectionError(`Cannot publish on ${topic}: not connected to ${this.broker}`);
    }
    await this.#guard(this.#client.publishAsync(topic, payload, { qos: 1 }), signal, expired);
  }

  /**
   * Resolves with the first message that `accept` maps to a value.
   *
   * @throws {ConnectionError} when the connection gets lost first.
   */
  next<T>(
    accept: (topic: string, payload: string) => T | undefined,
    signal: AbortSignal,
    expired: () => Error,
  ): Promise<T> {
    let stop = () => {};
    const found = new Promise<T>((resolve, reject) => {
      stop = this.listen((topic, payload) => {
        try {
          const value = accept(topic, payload);
          if (value !== undefined) resolve(value);
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.#guard(found, signal, expired, () => stop());
  }

  #guard<T>(
    promise: Promise<T>,
    signal: AbortSignal,
    expired: () => Error,
    cleanup?: () => void,
  ): Promise<T> {
    const settled = Promise.race([promise, this.#lost]).catch((error) => {
      if (error instanceof JumpstarterError) throw error;
      throw new ConnectionError(`MQTT broker ${this.broker}: ${reason(error)}`, { cause: error });
    });
    return racing(settled, signal, expired, cleanup);
  }

  /** Disconnects (politely when still connected); never throws. */
  async close(): Promise<void> {
    const polite = this.open;
    this.#open = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#client.end(true, {}, () => resolve()), 1000);
      this.#client.end(!polite, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    }).catch(() => {});
  }
}
