/**
 * Composite driver: groups drivers into a tree.
 *
 * @module
 */
export { compositeInterface } from "./interface.ts";
export { CompositeClient } from "./client.ts";
export { driverPackage } from "./package.ts";
