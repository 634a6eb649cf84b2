/**
 * The controller's state directory: signing keys, the TLS certificate and the store live here,
 * created on first start (mode 0700; secrets 0600).
 */
import selfsigned from "selfsigned";
import { readServerIdentity } from "@jumpstarter/lib/tunnel";
import { generateKeyMaterial, type KeyMaterial } from "./auth.ts";
import { FileStore, JOURNAL_FILE, SNAPSHOT_FILE } from "./store/mod.ts";
import { exists } from "./store/fs_util.ts";

/** A state directory that cannot be used as it is (a file lost or damaged). */
export class StateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateDirError";
  }
}

/** A certificate and its key, PEM. */
export interface TlsMaterial {
  cert: string;
  key: string;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SyntaxError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function writeSecret(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp`;
  await Deno.writeTextFile(temp, text, { mode: 0o600 });
  await Deno.rename(temp, path);
}

/** Whether the store in `storeDir` holds any record: a snapshot, or a journal past its header. */
async function storeHoldsState(storeDir: string): Promise<boolean> {
  if (await exists(`${storeDir}/${SNAPSHOT_FILE}`)) return true;
  try {
    const text = await Deno.readTextFile(`${storeDir}/${JOURNAL_FILE}`);
    return text.split("\n").filter((line) => line.trim() !== "").length > 1;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Loads the signing material, generating it on first start, after creating the (empty) store:
 * so keys without a store journal mean a lost store, and a store holding records without keys
 * means lost keys. Starting anyway would silently forget every client and exporter, or
 * invalidate every token issued; an empty journal is refused by the store itself.
 */
export async function loadKeyMaterial(dir: string, issuer: string): Promise<KeyMaterial> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = `${dir}/keys.json`;
  const storeDir = `${dir}/store`;
  const journal = `${storeDir}/${JOURNAL_FILE}`;
  const existing = await readJson<KeyMaterial>(path);
  if (existing) {
    if (!await exists(journal)) {
      throw new StateDirError(
        `${journal} is missing but ${path} exists: refusing to start with an empty store ` +
          `(restore ${storeDir} from a backup, or move ${dir} away to start afresh)`,
      );
    }
    return existing;
  }
  if (await storeHoldsState(storeDir)) {
    throw new StateDirError(
      `${path} is missing but ${storeDir} holds state: new keys would invalidate every token ` +
        `issued (restore keys.json from a backup, or move ${dir} away to start afresh)`,
    );
  }
  await (await FileStore.open(storeDir)).close();
  const material = await generateKeyMaterial(issuer);
  await writeSecret(path, JSON.stringify(material, null, 2));
  return material;
}

/**
 * Reads the signing material a router process verifies router tokens with: the keys.json of the
 * controller replicas, copied into its state directory (never generated: tokens signed with
 * other keys would not verify).
 */
export async function readKeyMaterial(dir: string): Promise<KeyMaterial> {
  const path = `${dir}/keys.json`;
  const material = await readJson<KeyMaterial>(path);
  if (!material) {
    throw new StateDirError(
      `${path} is missing: a router verifies the router tokens the controller replicas sign ` +
        `(copy keys.json from the state directory of a running replica)`,
    );
  }
  return material;
}

/**
 * The controller's TLS certificate: the given files, else a self-signed certificate kept in the
 * state directory, valid for `hosts` (names and IP addresses) and regenerated when they change.
 */
export async function loadTlsMaterial(
  dir: string,
  hosts: string[],
  given?: { certFile: string; keyFile: string },
): Promise<TlsMaterial> {
  // given files are checked now (parse, key matches), naming the file at fault
  if (given) return await readServerIdentity(given.certFile, given.keyFile);
  const path = `${dir}/tls.json`;
  const wanted = [...new Set(hosts)].sort();
  const existing = await readJson<TlsMaterial & { hosts: string[] }>(path);
  if (existing && JSON.stringify(existing.hosts) === JSON.stringify(wanted)) return existing;
  const altNames = wanted.map((host) =>
    /^[\d.]+$|:/.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }
  );
  const pems = await selfsigned.generate([{ name: "commonName", value: "jmp-controller" }], {
    notAfterDate: new Date(Date.now() + 3650 * 24 * 3600 * 1000),
    keyType: "ec",
    curve: "P-256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "subjectAltName", altNames },
    ],
  });
  const material = { cert: pems.cert, key: pems.private, hosts: wanted };
  await writeSecret(path, JSON.stringify(material, null, 2));
  return material;
}
