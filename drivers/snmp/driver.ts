/**
 * Exporter side: SNMPServer switches one PDU outlet by SNMP SET of `<oid>.<plug>`.
 */
import {
  defineDriverType,
  Driver,
  type DriverOptions,
  type ExportedMethod,
  exportMethods,
} from "@jumpstarter/lib/driver";
import { SnmpAgent } from "./agent.ts";
import { type SnmpConfig, snmpConfigSchema } from "./config.ts";
import { snmpInterface } from "./interface.ts";
import { type OutletState, POWER_OFF_MESSAGE, POWER_ON_MESSAGE } from "./types.ts";

/** A PDU outlet switched over SNMP (v3 USM as upstream, or v1/v2c with a community). */
export class SNMPServer extends Driver {
  readonly interface = snmpInterface;
  readonly config: SnmpConfig;
  /** The outlet's object: `<oid>.<plug>`. */
  readonly outletOid: string;
  readonly #agent: SnmpAgent;

  constructor(config: SnmpConfig, options: DriverOptions = {}) {
    super(options);
    this.config = config;
    this.outletOid = `${config.oid}.${config.plug}`;
    this.#agent = new SnmpAgent(config);
  }

  /** At session start: warns when the config asks for privacy that upstream's rules drop. */
  override reset(): void {
    const config = this.config;
    if (
      config.version === "3" && config.auth_protocol === "NONE" && config.priv_protocol !== "NONE"
    ) {
      this.logger.warning(
        `priv_protocol ${config.priv_protocol} is ignored: auth_protocol is NONE, so requests ` +
          "to the PDU are neither authenticated nor encrypted",
      );
    }
  }

  /** Switches the outlet on; returns upstream's status string. */
  async on(): Promise<string> {
    await this.#switch("on", this.config.on_value);
    return POWER_ON_MESSAGE;
  }

  /** Switches the outlet off; returns upstream's status string. */
  async off(): Promise<string> {
    await this.#switch("off", this.config.off_value);
    return POWER_OFF_MESSAGE;
  }

  /** Reads the outlet's current value from the agent. */
  async state(): Promise<OutletState> {
    const raw = await this.#agent.get(this.outletOid);
    const state = raw === this.config.on_value
      ? "on"
      : raw === this.config.off_value
      ? "off"
      : "unknown";
    return { state, raw };
  }

  async *read(): AsyncGenerator<OutletState> {
    yield await this.state();
  }

  async #switch(state: "on" | "off", value: number): Promise<void> {
    await this.#agent.setInteger(this.outletOid, value);
    this.logger.info(
      `power ${state}: outlet ${this.config.plug} of ${this.#agent.address} ` +
        `(${this.outletOid} = ${value})`,
    );
  }

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(snmpInterface, this);
  }
}

export const snmpServerType = defineDriverType({
  name: "SNMPServer",
  aliases: ["jumpstarter_driver_snmp.driver.SNMPServer"],
  config: snmpConfigSchema,
  create: (config, options) => new SNMPServer(config, options),
});
