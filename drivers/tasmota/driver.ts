/**
 * TasmotaPower: switches a Tasmota smart plug through an MQTT broker and streams the energy
 * readings of plugs that have a power meter.
 */
import type { z } from "zod";
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { DriverError, DriverTimeoutError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { powerInterface, type PowerReading } from "@jumpstarter/driver-power";
import { type TasmotaConfig, tasmotaConfigSchema } from "./config.ts";
import { Deadline } from "./deadline.ts";
import { type BrokerOptions, MqttLink } from "./mqtt_link.ts";
import { type PlugTopics, plugTopics } from "./topics.ts";
import { ReadingQueue } from "./readings.ts";

/** The relay states Tasmota understands and reports. */
type Relay = "ON" | "OFF";

/** The `Status` option that asks a plug for its sensor readings (`StatusSNS`). */
const SENSOR_STATUS = "10";

/** A Tasmota plug behind an MQTT broker; the connection is opened on first use. */
export class TasmotaPower extends Driver {
  readonly interface = powerInterface;
  readonly config: TasmotaConfig;
  readonly topics: PlugTopics;
  #link: MqttLink | undefined;
  #connecting: Promise<MqttLink> | undefined;
  /** The last payload seen on the state topic over the current connection. */
  #state: string | undefined;

  constructor(config: z.input<typeof tasmotaConfigSchema>, options: DriverOptions = {}) {
    super(options);
    this.config = tasmotaConfigSchema.parse(config);
    this.topics = plugTopics(
      this.config.cmnd_topic,
      this.config.stat_topic,
      this.config.tele_topic,
    );
  }

  async on(): Promise<void> {
    await this.#switch("ON");
    this.logger.info("power on");
  }

  async off(): Promise<void> {
    await this.#switch("OFF");
    this.logger.info("power off");
  }

  /**
   * Streams `{voltage, current}`: asks the plug for its sensors (`Status 10`) and passes on its
   * telemetry, polling again whenever `read_interval` goes by without a reading.
   */
  async *read(): AsyncGenerator<PowerReading> {
    const { telemetry, statusCommand, statusReply } = this.topics;
    if (telemetry === undefined && statusCommand === undefined) {
      throw new MethodNotImplementedError(
        `Cannot read energy: no telemetry topic is known for ${this.topics.command}; set tele_topic`,
      );
    }
    const sources = [telemetry, statusReply].filter((topic) => topic !== undefined).join(" or ");
    const link = await this.#connected();
    using queue = new ReadingQueue(link, this.topics);
    const idle = new Error("idle");
    for (;;) {
      let reading: PowerReading;
      {
        using deadline = new Deadline(this.config.timeout);
        if (statusCommand !== undefined) {
          await link.publish(
            statusCommand,
            SENSOR_STATUS,
            deadline.signal,
            () => this.#unacknowledged(link, statusCommand, deadline),
          );
        }
        reading = await queue.take(
          deadline.signal,
          () =>
            new DriverTimeoutError(
              `The Tasmota plug sent no energy reading on ${sources} within ${deadline.text}`,
            ),
        );
      }
      yield reading;
      for (;;) {
        using pause = new Deadline(this.config.read_interval);
        const more = await queue.take(pause.signal, () => idle).catch((error) => {
          if (error === idle) return undefined;
          throw error;
        });
        if (more === undefined) break;
        yield more;
      }
    }
  }

  /** Switches off at session start, as upstream; a broker or plug that fails is only logged. */
  override async reset(): Promise<void> {
    await this.#offQuietly("session start");
  }

  /** Switches off, as upstream, and disconnects; never fails. */
  override async close(): Promise<void> {
    await this.#offQuietly("session end");
    const link = this.#link;
    this.#link = undefined;
    await link?.close();
  }

  async #offQuietly(when: string): Promise<void> {
    try {
      await this.off();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.logger.warning(`Could not switch the plug off at ${when}: ${why}`);
    }
  }

  /** Sends ON/OFF and waits until the plug reports that state (an earlier report counts). */
  async #switch(wanted: Relay): Promise<void> {
    using deadline = new Deadline(this.config.timeout);
    const link = await this.#connected(deadline);
    const { command, state } = this.topics;
    await link.publish(
      command,
      wanted,
      deadline.signal,
      () => this.#unacknowledged(link, command, deadline),
    );
    if (this.#state === wanted) return;
    await link.next(
      (topic, payload) => topic === state && payload === wanted ? true : undefined,
      deadline.signal,
      () =>
        new DriverTimeoutError(
          `The Tasmota plug did not report ${wanted} on ${state} within ${deadline.text} ` +
            `after ${wanted} was sent on ${command}`,
        ),
    );
  }

  /** A publish the broker did not acknowledge: the connection is suspect, so drop it. */
  #unacknowledged(link: MqttLink, topic: string, deadline: Deadline): Error {
    if (this.#link === link) this.#link = undefined;
    void link.close();
    return new DriverTimeoutError(
      `MQTT broker ${link.broker} did not acknowledge the message on ${topic} within ${deadline.text}`,
    );
  }

  /** The open link, connecting first if there is none or the last one was lost. */
  async #connected(deadline?: Deadline): Promise<MqttLink> {
    if (this.#link?.open) return this.#link;
    if (this.#link) {
      void this.#link.close();
      this.#link = undefined;
    }
    if (!this.#connecting) {
      const own = deadline === undefined ? new Deadline(this.config.timeout) : undefined;
      this.#connecting = this.#connect(deadline ?? own!).finally(() => {
        own?.[Symbol.dispose]();
        this.#connecting = undefined;
      });
    }
    return await this.#connecting;
  }

  async #connect(deadline: Deadline): Promise<MqttLink> {
    const { telemetry, statusReply, state } = this.topics;
    const topics = [state, telemetry, statusReply].filter((topic) => topic !== undefined);
    const link = await MqttLink.open(
      await this.#brokerOptions(),
      topics,
      deadline.signal,
      deadline.text,
    );
    this.#state = undefined;
    link.listen((topic, payload) => {
      if (topic === state) this.#state = payload;
    });
    this.#link = link;
    this.logger.debug(`Connected to MQTT broker ${link.broker}`);
    return link;
  }

  async #brokerOptions(): Promise<BrokerOptions> {
    const config = this.config;
    let ca: string | undefined;
    if (config.ca_file !== undefined) {
      try {
        ca = await Deno.readTextFile(config.ca_file);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new DriverError(`Cannot read ca_file ${config.ca_file}: ${why}`, { cause: error });
      }
    }
    return {
      host: config.host,
      port: config.port,
      transport: config.transport,
      tls: config.tls,
      ca,
      clientId: config.client_id,
      username: config.username,
      password: config.password,
    };
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(powerInterface, this);
  }
}

export const tasmotaPowerType = defineDriverType({
  name: "TasmotaPower",
  aliases: ["jumpstarter_driver_tasmota.driver.TasmotaPower"],
  config: tasmotaConfigSchema,
  create: (config, options) => new TasmotaPower(config, options),
});
