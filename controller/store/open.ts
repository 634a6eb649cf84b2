/** Opens the store `jmp-controller --store` names. */
import { parseEtcdUrl } from "./etcd_keys.ts";
import { EtcdStore } from "./etcd_store.ts";
import { FileStore } from "./file_store.ts";

/** The file journal in `<stateDir>/store` (the default). */
export function fileStoreDir(stateDir: string): string {
  return `${stateDir}/store`;
}

/**
 * `etcd://host:port,...[/prefix]`: the etcd store; undefined: the file journal in the state
 * directory. A bad URL or an unreachable etcd is a one-line StoreError.
 */
export function openStore(
  url: string | undefined,
  stateDir: string,
): Promise<FileStore | EtcdStore> {
  return url === undefined
    ? FileStore.open(fileStoreDir(stateDir))
    : EtcdStore.open(parseEtcdUrl(url));
}
