/**
 * File system helpers shared by the file-serving drivers.
 *
 * @module
 */
export * from "./confined.ts";
export * from "./confined_tree.ts";
export * from "./block_device.ts";
