/** A Corellium exporter served in-process against a CorelliumEmulator, for the tests. */
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { VirtualPowerClient } from "@jumpstarter/driver-power";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { PySerialClient } from "@jumpstarter/driver-serial";
import { driverPackage as serialPackage } from "@jumpstarter/driver-serial/package";
import { definePackage } from "@jumpstarter/lib/driver";
import { driverPackage } from "../package.ts";
import { corelliumTypeReading } from "../driver.ts";
import { CorelliumClient } from "../client.ts";
import { type CorelliumEmulator, PROJECT } from "./corellium_emulator.ts";

export const CONFIG = `
export:
  rd1ae:
    type: jumpstarter_driver_corellium.driver.Corellium
    config:
      project_id: "${PROJECT.id}"
      device_name: "jmp-rd1ae"
      device_flavor: "kronos"
`;

export const packages = [driverPackage, powerPackage, serialPackage];

/**
 * The packages of CONFIG, with Corellium reading `environment` instead of the process's: test
 * files run in parallel in one process, so setting Deno.env would point one file's driver at
 * another file's emulator.
 */
export function packagesReading(environment: Record<string, string>) {
  const corellium = definePackage({
    ...driverPackage,
    driverTypes: [corelliumTypeReading((name) => environment[name])],
  });
  return [corellium, powerPackage, serialPackage];
}

/** Serves CONFIG against `emulator`, the environment pointing at it as upstream's would. */
export async function served(
  emulator: CorelliumEmulator,
  { token = emulator.token, host = emulator.host }: {
    token?: string;
    host?: string;
  } = {},
) {
  const caFile = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(caFile, emulator.cert);
  const environment = {
    CORELLIUM_API_HOST: host,
    CORELLIUM_API_TOKEN: ` ${token}\n`,
    CORELLIUM_API_CA_FILE: caFile,
    CORELLIUM_API_RETRIES: "5",
    CORELLIUM_API_INTERVAL: "0.01",
  };
  const packages = packagesReading(environment);
  const root = await buildDriverTree(
    parseExporterConfig(CONFIG, "corellium.yaml"),
    {
      registry: driverRegistryOf(packages),
    },
  ).finally(() => Deno.remove(caFile));
  const session = await serve(root, undefined, { packages });
  const board = session.client.child("rd1ae", CorelliumClient);
  return {
    session,
    power: board.child("power", VirtualPowerClient),
    serial: board.child("serial", PySerialClient),
  };
}
