import { DriverClient } from "./driver_client.ts";

/**
 * Client of a composite (every tree's root): reach children with `child(name, Kind)` or
 * `children`. Every registry `clientRegistryOf` builds holds it, since every session has one.
 */
export class CompositeClient extends DriverClient {}
