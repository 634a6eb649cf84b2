/** Opens the store `jmp-controller --store` names. */
import { parseEtcdUrl } from "./etcd_keys.ts";
import { EtcdStore } from "./etcd_store.ts";
import { FileStore } from "./file_store.ts";
import { COLLECTION_NAMES, type Store, StoreError } from "./types.ts";

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

/** Whether any collection of `store` holds a record. */
function holdsRecords(store: Store): boolean {
  return COLLECTION_NAMES.some((c) => store[c].list().length > 0);
}

/**
 * Opens the store and then the signing keys (`loadKeys`, which creates them in a new state
 * directory). On etcd the keys live apart from the records: a state directory without keys over
 * an etcd prefix holding records is refused before new keys are made, since they would invalidate
 * every token issued (the file journal's own check is in state_dir.ts).
 */
export async function openStoreAndKeys<K>(
  url: string | undefined,
  stateDir: string,
  loadKeys: () => Promise<K>,
): Promise<{ store: FileStore | EtcdStore; keys: K }> {
  if (url === undefined) {
    const keys = await loadKeys();
    return { store: await openStore(undefined, stateDir), keys };
  }
  const keysPath = `${stateDir}/keys.json`;
  const hadKeys = await Deno.stat(keysPath).then(() => true, () => false);
  const store = await openStore(url, stateDir);
  try {
    if (!hadKeys && holdsRecords(store)) {
      throw new StoreError(
        `${url} holds state but ${keysPath} is missing: new keys would invalidate every token ` +
          `issued (copy keys.json from the state directory of the controller that used it)`,
      );
    }
    return { store, keys: await loadKeys() };
  } catch (error) {
    await store.close();
    throw error;
  }
}
