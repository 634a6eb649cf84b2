import { defaultClientRegistry, DriverClient } from "@jumpstarter/lib/client";
import { compositeInterface } from "./interface.ts";

/** Client of a composite: reach children with `child(name, Kind)` or `children`. */
export class CompositeClient extends DriverClient {}

defaultClientRegistry.register(CompositeClient, compositeInterface.client);
