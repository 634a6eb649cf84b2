import { DriverClient } from "./driver_client.ts";
import { defaultClientRegistry } from "./registry.ts";

/**
 * Client of a composite (every tree's root): reach children with `child(name, Kind)` or
 * `children`. Registered by the framework, since every session has one.
 */
export class CompositeClient extends DriverClient {}

defaultClientRegistry.register(
  CompositeClient,
  "jumpstarter_driver_composite.client.CompositeClient",
);
