/** The controller's persistent store. */
export type { Collection, CollectionName, Keyed, Store, StoreOp } from "./types.ts";
export { StoreCorruptError, StoreError, StoreFailedError, StoreLockedError } from "./types.ts";
export { MemoryStore } from "./memory_store.ts";
export {
  FileStore,
  type FileStoreOptions,
  type FileStoreStats,
  JOURNAL_FILE,
  SNAPSHOT_FILE,
} from "./file_store.ts";
export { EtcdStore, type EtcdStoreOptions } from "./etcd_store.ts";
export { type EtcdLocation, isEtcdUrl, parseEtcdUrl } from "./etcd_keys.ts";
export { fileStoreDir, openStore, openStoreAndKeys } from "./open.ts";
export {
  EXPORT_FORMAT,
  type ExportDocument,
  exportState,
  type ImportCounts,
  importState,
  type MigratableStore,
  parseExport,
} from "./migrate.ts";
