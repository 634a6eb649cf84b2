/**
 * The descriptor of `@jumpstarter/driver-flashers`: BaseFlasher and its TI J784S4 and R-Car S4
 * presets, `BaseFlasherClient` and its `j` commands.
 *
 * @module
 */
import { join } from "node:path";
import {
  definePackage,
  type DriverPackage,
  type Grants,
  type GrantsContext,
  grantsOfType,
  mergeGrants,
} from "@jumpstarter/lib/driver";
import { driverPackage as tftpPackage } from "@jumpstarter/driver-tftp/package";
import { driverPackage as httpPackage } from "@jumpstarter/driver-http/package";
import {
  baseFlasherType,
  type FlasherConfig,
  FLS_PATHS,
  rcarS4FlasherType,
  tiJ784s4FlasherType,
} from "./driver.ts";
import { bundlePath } from "./bundle.ts";
import { BaseFlasherClient } from "./client.ts";
import { flasherCli } from "./cli.ts";
import { flasherInterface } from "./interface.ts";

/** `@jumpstarter/driver-flashers`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-flashers",
  driverTypes: [baseFlasherType, tiJ784s4FlasherType, rcarS4FlasherType],
  clients: [{ classPaths: [flasherInterface.client], client: BaseFlasherClient, cli: flasherCli }],
  grants: {
    BaseFlasher: flasherGrants,
    TIJ784S4Flasher: flasherGrants,
    RCarS4Flasher: flasherGrants,
  },
});

/** Whether `path` is there now (and a directory, with `directory`). */
function present(path: string, directory = false): boolean {
  try {
    const info = Deno.statSync(path);
    return !directory || info.isDirectory;
  } catch {
    return false;
  }
}

/** The grants of a child this flasher makes, from its package (`-A` when it declares none). */
function madeChild(
  pkg: DriverPackage,
  type: string,
  config: unknown,
  context: GrantsContext,
): Grants {
  return grantsOfType(pkg, type, config, context) ??
    { all: `the ${type} it makes declares no grants` };
}

/**
 * The bundle (a directory; an OCI layout is unpacked into `cache_dir`), the CA certificate, the
 * `fls` binary it may serve, and the `tftp` and `http` servers it makes unless the config gives
 * them as children (whose own rows then say what they need): their packages' grants, with this
 * flasher's roots. A bundle named at run time (`setup_flasher_bundle`'s `force_flash_bundle`) is
 * read only where these grants reach; one that is not a directory now is refused when used.
 */
function flasherGrants(config: FlasherConfig, context: GrantsContext): Grants {
  const grants: Grants[] = [{ read: FLS_PATHS }];
  const bundle = bundlePath(config.flasher_bundle);
  if (present(bundle, true)) {
    grants.push({ read: [bundle] });
    if (present(join(bundle, "oci-layout"))) {
      grants.push({ read: [config.cache_dir], write: [config.cache_dir] });
    }
  }
  if (config.cacert !== null) grants.push({ read: [config.cacert] });
  if (!context.children.includes("tftp")) {
    const tftp = { "root_dir": config.tftp_dir, host: "", port: 69 };
    grants.push(madeChild(tftpPackage, "Tftp", tftp, context));
  }
  if (!context.children.includes("http")) {
    grants.push(madeChild(httpPackage, "HttpServer", { "root_dir": config.http_dir }, context));
  }
  return mergeGrants(grants);
}
