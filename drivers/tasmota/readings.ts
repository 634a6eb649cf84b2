/**
 * Collects the energy readings a plug publishes (telemetry and `Status 10` answers) so none is
 * missed between two takes.
 */
import type { PowerReading } from "@jumpstarter/driver-power";
import { MethodNotImplementedError } from "@jumpstarter/lib/wire";
import type { MqttLink } from "./mqtt_link.ts";
import { energyReport, type PlugTopics } from "./topics.ts";

/** Readings of one plug, in arrival order, while listening. */
export class ReadingQueue implements Disposable {
  readonly #link: MqttLink;
  readonly #items: (PowerReading | Error)[] = [];
  readonly #stop: () => void;

  constructor(link: MqttLink, topics: PlugTopics) {
    this.#link = link;
    this.#stop = link.listen((topic, payload) => {
      if (topic !== topics.telemetry && topic !== topics.statusReply) return;
      const report = energyReport(payload, topics.relay);
      if (report.kind === "reading") this.#items.push(report.reading);
      // telemetry without ENERGY is some other sensor; a status answer without it is final
      if (report.kind === "no-meter" && topic === topics.statusReply) {
        this.#items.push(
          new MethodNotImplementedError(
            `The Tasmota plug answering on ${topic} reports no ENERGY readings (it has no power meter)`,
          ),
        );
      }
    });
  }

  /**
   * The oldest reading, waiting for one if need be.
   *
   * @throws {MethodNotImplementedError} when the plug said it has no power meter.
   * @throws {ConnectionError} when the connection is lost while waiting.
   */
  async take(signal: AbortSignal, expired: () => Error): Promise<PowerReading> {
    const item = this.#items.shift() ??
      await this.#link.next(() => this.#items.shift(), signal, expired);
    if (item instanceof Error) throw item;
    return item;
  }

  [Symbol.dispose](): void {
    this.#stop();
  }
}
