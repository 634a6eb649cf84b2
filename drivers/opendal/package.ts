/**
 * The descriptor of `@jumpstarter/driver-opendal`: the `Opendal` storage driver, `MockFlasher`, the
 * file-backed storage mux mocks, their clients and their `j` commands. Kept apart from `mod.ts` so
 * client-only users do not load the exporter side.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import {
  definePackage,
  /** @ignore documented by `@jumpstarter/lib/driver` */
  type DriverPackage,
  type Grants,
  servedRoot,
  tempDirectory,
} from "@jumpstarter/lib/driver";
import { storageMuxCli, storageMuxFlasherCli } from "./storage_mux_cli.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import {
  type MockStorageMuxConfig,
  mockStorageMuxFlasherType,
  mockStorageMuxType,
} from "./driver.ts";
import { storageMuxFlasherInterface, storageMuxInterface } from "./storage_mux_interface.ts";
import { flasherCli } from "./flasher_cli.ts";
import { FlasherClient } from "./flasher_client.ts";
import { mockFlasherType } from "./flasher_driver.ts";
import { opendalCli } from "./opendal_cli.ts";
import { OpendalClient } from "./opendal_client.ts";
import { opendalConfigSchema, opendalType } from "./opendal_driver.ts";
import type { z } from "zod";
import { flasherInterface, opendalInterface } from "./opendal_interface.ts";

/** The storage mux package, for a program's package list. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-opendal",
  driverTypes: [opendalType, mockFlasherType, mockStorageMuxType, mockStorageMuxFlasherType],
  clients: [
    { classPaths: [opendalInterface.client], client: OpendalClient, cli: opendalCli },
    { classPaths: [flasherInterface.client], client: FlasherClient, cli: flasherCli },
    {
      classPaths: [storageMuxInterface.client],
      client: StorageMuxClient,
      cli: storageMuxCli,
    },
    {
      classPaths: [storageMuxFlasherInterface.client],
      client: StorageMuxFlasherClient,
      cli: storageMuxFlasherCli,
    },
  ],
  grants: {
    Opendal: opendalGrants,
    MockFlasher: () => inTemporaryDirectory(),
    MockStorageMux: mockStorageMuxGrants,
    MockStorageMuxFlasher: mockStorageMuxGrants,
  },
});

/**
 * The variables OpenDAL's `s3` service reads when its `kwargs` leave them out (credentials,
 * region, profile files; the names its native library holds), passed on to a confined exporter.
 */
export const S3_VARIABLES = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_ENDPOINT_URL",
  "AWS_PROFILE",
  "AWS_CONFIG_FILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_STS_REGIONAL_ENDPOINTS",
  "AWS_EC2_METADATA_DISABLED",
];

/**
 * An `fs` service's root, read to keep paths inside it (its real path too when reached through a
 * symlink); an `s3` service's variables. OpenDAL's own reads, writes and requests (any service)
 * are made by its native library, where Deno's flags do not reach (measured: an `s3` service
 * talks to its endpoint with no net grant), so nothing else is Deno's to grant.
 */
function opendalGrants(config: z.output<typeof opendalConfigSchema>): Grants {
  if (config.scheme === "s3") return { env: S3_VARIABLES };
  if (config.scheme !== "fs") return {};
  return { read: servedRoot(config.kwargs.root ?? Deno.cwd()) };
}

/** A mock's files in a directory of its own below the temporary directory. */
function inTemporaryDirectory(): Grants {
  return { read: [tempDirectory()], write: [tempDirectory()] };
}

/**
 * The medium's directory (its staging files are written beside it), or the temporary directory
 * when it has no `path`.
 */
function mockStorageMuxGrants(config: MockStorageMuxConfig): Grants {
  if (config.path === undefined) return inTemporaryDirectory();
  const dir = dirname(resolve(config.path));
  return { read: [dir], write: [dir] };
}
