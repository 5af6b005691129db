import pLimit from "p-limit";
import type { Store } from "../storage/store.js";
import { assertChainId, parseBackupName } from "./layout.js";
import { type Manifest, parseManifest } from "./manifest.js";

/** A manifest key in the store with what its name tells. */
export interface BackupRef {
  readonly key: string;
  readonly chainId: string;
  readonly name: string;
  readonly headNum: number;
  readonly createdAt: Date;
  readonly tag: string;
}

const MANIFEST_KEY = /^backups\/([^/]+)\/([^/]+)\.json$/;

/** Every backup of a chain (or of all chains), newest first: highest head, then latest time. */
export async function listBackupRefs(store: Store, chainId?: string): Promise<BackupRef[]> {
  const prefix = chainId === undefined ? "backups/" : `backups/${assertChainId(chainId)}/`;
  const refs: BackupRef[] = [];
  for await (const object of store.list(prefix)) {
    const match = MANIFEST_KEY.exec(object.key);
    const parsed = match === null ? undefined : parseBackupName(match[2] ?? "");
    if (match === null || parsed === undefined) continue;
    refs.push({ key: object.key, chainId: match[1] ?? "", name: match[2] ?? "", ...parsed });
  }
  return refs.sort((a, b) =>
    chainId === undefined
      ? b.createdAt.getTime() - a.createdAt.getTime() || b.headNum - a.headNum || (b.name > a.name ? 1 : -1)
      : b.headNum - a.headNum || b.createdAt.getTime() - a.createdAt.getTime() || (b.name > a.name ? 1 : b.name < a.name ? -1 : 0),
  );
}

/** Reads and validates one manifest (BKP_ERR_MANIFEST_INVALID when malformed). */
export async function readManifest(store: Store, key: string): Promise<Manifest> {
  return parseManifest(key, await store.getBytes(key));
}

/** Reads many manifests with bounded parallelism, keeping order. */
export async function readManifests(store: Store, keys: string[], parallel: number): Promise<Manifest[]> {
  const limit = pLimit(parallel);
  return Promise.all(keys.map((key) => limit(() => readManifest(store, key))));
}
