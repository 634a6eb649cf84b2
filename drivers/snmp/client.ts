import { type CallOptions } from "@jumpstarter/lib/client";
import { DriverError, MethodNotImplementedError } from "@jumpstarter/lib/wire";
import { PowerClient, type PowerReading } from "@jumpstarter/driver-power";
import { snmpInterface } from "./interface.ts";
import { type OutletState, outletStateSchema } from "./types.ts";

/**
 * Client of an SNMPServer: a PowerClient (`on`, `off`, client-side `cycle`), plus `switch()`
 * that returns the driver's status string and `state()` for the outlet state.
 */
export class SNMPServerClient extends PowerClient {
  /**
   * Switches the outlet and resolves to the driver's status string ("Power ON command sent
   * successfully" / "Power OFF command sent successfully"); `on()`/`off()` do the same and
   * resolve to nothing, as for every PowerClient.
   */
  async switch(state: "on" | "off", options: CallOptions = {}): Promise<string> {
    return String(await this.invoke(snmpInterface.methods[state], [], options));
  }

  /** Reads the outlet state from the PDU (the single item of the driver's `read` stream). */
  async state(options: CallOptions = {}): Promise<OutletState> {
    const items = this.invokeStreaming(snmpInterface.methods.read, [], options);
    for await (const item of items) return outletStateSchema.parse(item);
    throw new DriverError(`Driver "${this.name}" sent no outlet state`);
  }

  /**
   * A PDU outlet has no voltage/current readings: this throws at once. Use {@linkcode state}.
   *
   * @throws {MethodNotImplementedError}
   */
  override read(_options?: CallOptions): AsyncGenerator<PowerReading> {
    throw new MethodNotImplementedError(
      "An SNMP outlet reports its on/off state, not voltage and current: use state() " +
        "(CLI: read, with snmpCli)",
    );
  }
}
