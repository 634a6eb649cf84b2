/**
 * The driver registry: maps config `type:` names (upstream Python class paths and our short
 * names) to driver factories. Each program fills it statically through imports.
 */
import { compositeType, DriverRegistry } from "@jumpstarter/lib/driver";

export {
  compositeType,
  defineDriverType,
  DriverRegistry,
  type DriverType,
} from "@jumpstarter/lib/driver";

/**
 * The process-wide registry, holding Composite from the start; driver packages register their
 * types here when imported.
 */
export const defaultDriverRegistry: DriverRegistry = new DriverRegistry().register(compositeType);
