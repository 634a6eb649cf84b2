/**
 * Composite: the root of every exporter tree and any `children`-only config entry. Proxies
 * (`ref:`) are resolved by the tree builder and need no driver of their own.
 */
import { z } from "zod";
import { Driver, type ExportedMethod, exportMethods } from "@jumpstarter/lib/driver";
import { defaultDriverRegistry, defineDriverType } from "@jumpstarter/lib/exporter";
import { compositeInterface } from "./interface.ts";

export class Composite extends Driver {
  readonly interface = compositeInterface;

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(compositeInterface, {});
  }
}

export const compositeType = defineDriverType({
  name: "Composite",
  aliases: ["jumpstarter_driver_composite.driver.Composite"],
  config: z.object({}).strict(),
  create: (_config, options) => new Composite(options),
});

defaultDriverRegistry.register(compositeType);
