import { z } from "zod";
import { type CallOptions, DriverClient } from "@jumpstarter/lib/client";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { matchesFilters } from "./filters.ts";
import { type CanFilter, canInterface, isoTpInterface } from "./interface.ts";
import { type CanFrame, canFrame, canMessageSchema, fromMessage, toMessage } from "./message.ts";

const methods = canInterface.methods;
const received = z.tuple([canMessageSchema.nullable(), z.boolean()]);

/** Upstream's `CanClient`: python-can's bus API on a bus at the exporter. */
export class CanClient extends DriverClient {
  #filters: CanFilter[] | null = null;

  /** Sends one frame (fields not given take python-can's defaults). */
  async send(
    frame: Partial<CanFrame> & { arbitrationId: number },
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(methods.send, [toMessage(canFrame(frame)), null], options);
  }

  /**
   * The next frame passing the filters, or undefined after `timeout` seconds (python-can's
   * `recv`; undefined timeout waits without limit).
   */
  async recv(timeout?: number, options: CallOptions = {}): Promise<CanFrame | undefined> {
    const deadline = timeout === undefined ? Infinity : Date.now() + timeout * 1000;
    for (;;) {
      const left = deadline === Infinity ? null : Math.max(0, (deadline - Date.now()) / 1000);
      const [message, filtered] = received.parse(
        await this.invoke(methods._recv_internal, [left], options),
      );
      if (message !== null) {
        const frame = fromMessage(message);
        if (filtered || matchesFilters(frame, this.#filters)) return frame;
      }
      if (left !== null && Date.now() >= deadline) return undefined;
    }
  }

  /** python-can's `set_filters`: null receives everything. */
  async setFilters(filters: CanFilter[] | null, options: CallOptions = {}): Promise<void> {
    await this.invoke(methods._apply_filters, [filters], options);
    this.#filters = filters;
  }

  /** Sends `frames` every `period` seconds at the exporter; returns a task to stop. */
  async sendPeriodic(
    frames: (Partial<CanFrame> & { arbitrationId: number })[],
    period: number,
    duration: number | null = null,
    options: CallOptions = {},
  ): Promise<{ stop(): Promise<void>; start(): Promise<void> }> {
    const messages = frames.map((frame) => toMessage(canFrame(frame)));
    const id = z.string().parse(
      await this.invoke(
        methods._send_periodic_internal,
        [messages, period, duration, true],
        options,
      ),
    );
    return {
      stop: async () => void await this.invoke(methods._stop_task, [id], options),
      start: async () => void await this.invoke(methods._start_task, [id], options),
    };
  }

  async state(options: CallOptions = {}): Promise<number | null> {
    return z.number().nullable().parse(await this.invoke(methods.state, [null], options));
  }

  async protocol(options: CallOptions = {}): Promise<number> {
    return z.number().parse(await this.invoke(methods.protocol, [], options));
  }

  async channelInfo(options: CallOptions = {}): Promise<string> {
    return z.string().parse(await this.invoke(methods.channel_info, [], options));
  }

  async flushTxBuffer(options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.flush_tx_buffer, [], options);
  }

  async shutdown(options: CallOptions = {}): Promise<void> {
    await this.invoke(methods.shutdown, [], options);
  }
}

const isoTp = isoTpInterface.methods;
const isoTpMessage = z.object({ data: z.string().nullable() });

/** Upstream's `IsoTpClient`: payloads as bytes. */
export class IsoTpClient extends DriverClient {
  async start(options: CallOptions = {}): Promise<void> {
    await this.invoke(isoTp.start, [], options);
  }

  async stop(options: CallOptions = {}): Promise<void> {
    await this.invoke(isoTp.stop, [], options);
  }

  async send(
    payload: Uint8Array,
    sendTimeout: number | null = null,
    options: CallOptions = {},
  ): Promise<void> {
    await this.invoke(isoTp.send, [{ data: encodeBase64(payload) }, null, sendTimeout], options);
  }

  /** The next payload (null when none: at once, or after `timeout` seconds with `block`). */
  async recv(
    block = false,
    timeout: number | null = null,
    options: CallOptions = {},
  ): Promise<Uint8Array | null> {
    const { data } = isoTpMessage.parse(await this.invoke(isoTp.recv, [block, timeout], options));
    return data === null ? null : decodeBase64(data);
  }

  async available(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.invoke(isoTp.available, [], options));
  }

  async transmitting(options: CallOptions = {}): Promise<boolean> {
    return z.boolean().parse(await this.invoke(isoTp.transmitting, [], options));
  }

  async stopSending(options: CallOptions = {}): Promise<void> {
    await this.invoke(isoTp.stop_sending, [], options);
  }

  async stopReceiving(options: CallOptions = {}): Promise<void> {
    await this.invoke(isoTp.stop_receiving, [], options);
  }
}
