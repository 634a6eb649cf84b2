/**
 * The corellium package's descriptor: the Corellium driver type and its composite client. Its
 * children report VirtualPowerClient and PySerialClient: list the power and serial packages too.
 *
 * @module
 */
import {
  definePackage,
  type DriverPackage,
  type Grants,
  urlNetAddress,
} from "@jumpstarter/lib/driver";
import { corelliumType } from "./driver.ts";
import { corelliumEnvironment, type Getenv, processEnv } from "./config.ts";
import { CorelliumClient } from "./client.ts";
import { corelliumInterface } from "./interface.ts";

/** `@jumpstarter/driver-corellium`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-corellium",
  driverTypes: [corelliumType],
  clients: [{
    classPaths: [corelliumInterface.client],
    client: CorelliumClient,
  }],
  grants: { Corellium: () => corelliumGrants() },
});

/** The variables Corellium reads: the API host and token, its CA file, the power waits. */
export const CORELLIUM_VARIABLES = [
  "CORELLIUM_API_HOST",
  "CORELLIUM_API_TOKEN",
  "CORELLIUM_API_CA_FILE",
  "CORELLIUM_API_RETRIES",
  "CORELLIUM_API_INTERVAL",
];

/**
 * Its variables, the API host (`https://CORELLIUM_API_HOST`) and the CA file, as the environment
 * holds them now. A console's websocket is reached on the URL the API answers, known only then:
 * on the API host it is granted; on another host it is refused, naming it. Without a host or
 * token, only the variables: the driver refuses to start and says which is missing.
 */
export function corelliumGrants(getenv: Getenv = processEnv): Grants {
  let environment;
  try {
    environment = corelliumEnvironment(getenv);
  } catch {
    return { env: CORELLIUM_VARIABLES };
  }
  const { host, caFile } = environment;
  return {
    env: CORELLIUM_VARIABLES,
    net: [urlNetAddress(`https://${host}`)],
    ...(caFile === undefined ? {} : { read: [caFile] }),
  };
}
