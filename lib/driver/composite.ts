/**
 * Composite: the root of every exporter tree and any `children`-only config entry. It lives in
 * the framework because every session needs it; proxies (`ref:`) need no driver of their own.
 */
import { Driver } from "./driver.ts";
import {
  defineInterface,
  type DriverInterface,
  type ExportedMethod,
  exportMethods,
  type NamedMethod,
} from "./interface.ts";

/** A grouping node: no methods of its own, children carry the work. */
export const compositeInterface: DriverInterface<Record<never, NamedMethod>> = defineInterface({
  client: "jumpstarter_driver_composite.client.CompositeClient",
  description: "Generic composite device",
  methods: {},
});

/**
 * The driver of a tree's root and of config entries with only `children:`; upstream's
 * `jumpstarter_driver_composite.driver.Composite`.
 */
export class Composite extends Driver {
  /** {@linkcode compositeInterface}: reported with upstream's `CompositeClient` class path. */
  readonly interface: DriverInterface<Record<never, NamedMethod>> = compositeInterface;

  /** None: a composite exports no methods. */
  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(compositeInterface, {});
  }
}
