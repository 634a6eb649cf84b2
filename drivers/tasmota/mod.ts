/**
 * Tasmota smart plugs over MQTT. Upstream's client is the generic `PowerClient`, re-exported
 * here with its CLI; the exporter-side driver (TasmotaPower) is in `./driver`.
 *
 * @module
 */
export { powerCli, PowerClient, type PowerReading } from "@jumpstarter/driver-power";
export { DEFAULT_TIMEOUT, type TasmotaConfig, tasmotaConfigSchema } from "./config.ts";
