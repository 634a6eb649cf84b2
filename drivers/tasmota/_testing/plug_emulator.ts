/**
 * A Tasmota plug emulated as an MQTT client, the way the firmware behaves with its default
 * FullTopic `%prefix%/%topic%/`: it takes `cmnd/<dev>/POWER` and `cmnd/<dev>/STATUS`, reports
 * on `stat/<dev>/RESULT`, `stat/<dev>/POWER` and `stat/<dev>/STATUS10`, and publishes
 * `tele/<dev>/SENSOR` telemetry. The broker it talks to is real.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

type Relay = "ON" | "OFF";

/** The plug's power meter: mains voltage and the current drawn while on. */
export interface Meter {
  voltage: number;
  current: number;
}

export interface PlugEmulatorOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883`. */
  url: string;
  device: string;
  /** Without a meter the plug reports no ENERGY (like a Sonoff Basic). */
  meter?: Meter;
  /** Whether `Status 10` is answered (default true). */
  answerStatus?: boolean;
  /** Publishes telemetry this often, like the firmware's TelePeriod (default never). */
  telePeriodMs?: number;
  username?: string;
  password?: string;
}

/** The emulated plug. */
export class PlugEmulator implements AsyncDisposable {
  readonly device: string;
  state: Relay = "OFF";
  /** When set, commands are received (and logged) but not acted on, like a plug gone offline. */
  silent = false;
  /** Payloads received on `cmnd/<dev>/POWER`, in order. */
  readonly commands: string[] = [];
  /** How many `Status 10` requests came in, and how many telemetry messages went out. */
  statusRequests = 0;
  telemetrySent = 0;
  readonly #options: PlugEmulatorOptions;
  readonly #client: MqttClient;
  #ready = 0;
  #waiters: (() => void)[] = [];
  #tele: ReturnType<typeof setInterval> | undefined;

  private constructor(options: PlugEmulatorOptions, client: MqttClient) {
    this.#options = options;
    this.device = options.device;
    this.#client = client;
  }

  /** Connects and subscribes; resolves once the plug listens for commands. */
  static async start(options: PlugEmulatorOptions): Promise<PlugEmulator> {
    const connectOptions: IClientOptions = {
      reconnectPeriod: 50,
      resubscribe: false,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    };
    const plug = new PlugEmulator(options, mqtt.connect(options.url, connectOptions));
    plug.#client.on("connect", () => plug.#subscribe());
    plug.#client.on("message", (topic, payload) => plug.#onMessage(topic, payload.toString()));
    await plug.ready(1);
    if (options.telePeriodMs !== undefined) {
      plug.#tele = setInterval(() => plug.publishTelemetry().catch(() => {}), options.telePeriodMs);
    }
    return plug;
  }

  #subscribe(): void {
    const topics = [`cmnd/${this.device}/POWER`, `cmnd/${this.device}/STATUS`];
    this.#client.subscribeAsync(topics, { qos: 1 }).then(() => {
      this.#ready++;
      for (const wake of this.#waiters.splice(0)) wake();
    }, () => {});
  }

  /** Resolves once the plug has connected and subscribed `count` times (reconnects included). */
  async ready(count: number): Promise<void> {
    while (this.#ready < count) await new Promise<void>((wake) => this.#waiters.push(wake));
  }

  /** Resolves with the next command payload received on `cmnd/<dev>/POWER`. */
  nextCommand(): Promise<string> {
    const seen = this.commands.length;
    return new Promise((resolve) => {
      const check = () => {
        const command = this.commands[seen];
        if (command !== undefined) resolve(command);
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #onMessage(topic: string, payload: string): void {
    if (topic === `cmnd/${this.device}/POWER`) {
      this.commands.push(payload);
      for (const wake of this.#waiters.splice(0)) wake();
      if (!this.silent) this.#power(payload.toUpperCase());
    } else if (topic === `cmnd/${this.device}/STATUS` && payload === "10") {
      this.statusRequests++;
      if (!this.silent && this.#options.answerStatus !== false) {
        const sensors = { StatusSNS: this.#sensors() };
        this.#publish(`stat/${this.device}/STATUS10`, JSON.stringify(sensors));
      }
    }
  }

  #power(command: string): void {
    if (command === "ON" || command === "1") this.state = "ON";
    else if (command === "OFF" || command === "0") this.state = "OFF";
    else if (command === "TOGGLE" || command === "2") {
      this.state = this.state === "ON" ? "OFF" : "ON";
    } else if (command !== "") return;
    this.#publish(`stat/${this.device}/RESULT`, JSON.stringify({ POWER: this.state }));
    this.#publish(`stat/${this.device}/POWER`, this.state);
  }

  #sensors(): Record<string, unknown> {
    const time = new Date().toISOString().slice(0, 19);
    const meter = this.#options.meter;
    if (!meter) return { Time: time };
    const current = this.state === "ON" ? meter.current : 0;
    const power = Math.round(meter.voltage * current);
    return {
      Time: time,
      ENERGY: {
        TotalStartTime: "2024-01-01T00:00:00",
        Total: 1.234,
        Yesterday: 0.1,
        Today: 0.05,
        Power: power,
        ApparentPower: power,
        ReactivePower: 0,
        Factor: current ? 1 : 0,
        Voltage: meter.voltage,
        Current: current,
      },
    };
  }

  #publish(topic: string, payload: string): Promise<void> {
    return this.#client.publishAsync(topic, payload).then(() => {});
  }

  /** Publishes one `tele/<dev>/SENSOR` message now. */
  publishTelemetry(): Promise<void> {
    this.telemetrySent++;
    return this.#publish(`tele/${this.device}/SENSOR`, JSON.stringify(this.#sensors()));
  }

  /** Reports a relay state on `stat/<dev>/POWER` without being asked (like a button press). */
  async report(state: Relay): Promise<void> {
    this.state = state;
    await this.#client.publishAsync(`stat/${this.device}/POWER`, state, { qos: 1 });
  }

  async close(): Promise<void> {
    clearInterval(this.#tele);
    await this.#client.endAsync(true);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
