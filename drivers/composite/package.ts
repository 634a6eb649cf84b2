/**
 * The composite package's descriptor: the Composite type and `CompositeClient`. `j` shows a
 * composite as a group of its children's commands, so there is no CLI builder. Listing this
 * package is optional: every program's registry holds Composite already.
 *
 * @module
 */
import { compositeInterface, definePackage, type DriverPackage } from "@jumpstarter/lib/driver";
import { compositeType } from "./driver.ts";
import { CompositeClient } from "./client.ts";

/** `@jumpstarter/driver-composite`, for a program's list of driver packages. */
export const driverPackage: DriverPackage = definePackage({
  name: "@jumpstarter/driver-composite",
  driverTypes: [compositeType],
  clients: [{ classPaths: [compositeInterface.client], client: CompositeClient }],
});
