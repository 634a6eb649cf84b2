/**
 * Composite: the root of every exporter tree and any `children`-only config entry. It lives in
 * the framework because every session needs it; proxies (`ref:`) need no driver of their own.
 */
import { Driver } from "./driver.ts";
import { defineInterface, type ExportedMethod, exportMethods } from "./interface.ts";

/** A grouping node: no methods of its own, children carry the work. */
export const compositeInterface = defineInterface({
  client: "jumpstarter_driver_composite.client.CompositeClient",
  description: "Generic composite device",
  methods: {},
});

export class Composite extends Driver {
  readonly interface = compositeInterface;

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(compositeInterface, {});
  }
}
