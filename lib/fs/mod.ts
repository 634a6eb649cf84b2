/**
 * File system helpers shared by the file-serving drivers.
 *
 * @module
 */
export {
  isWithin,
  NotRegularFileError,
  OutsideRootError,
  pathIn,
  UnsafeDirectoryError,
} from "./confined_paths.ts";
export { type RootCheck, rootCheck } from "./root_check.ts";
export { checkDirectory } from "./ownership.ts";
export * from "./confined.ts";
export * from "./confined_tree.ts";
export * from "./block_device.ts";
