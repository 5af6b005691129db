import { BackupErrors } from "./errors.js";

/** How chunk bytes are stored. */
export type Compression = "none" | "gzip" | "zstd";

/** Every compression, in the order the configuration lists them. */
export const COMPRESSIONS = ["none", "gzip", "zstd"] as const satisfies readonly Compression[];

const CHUNK_SUFFIX: Record<Compression, string> = { none: "", gzip: ".gz", zstd: ".zst" };

const CHAIN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const TAG = /^[a-z0-9-]{1,64}$/;
const HASH = /^[0-9a-f]{64}$/;
const BACKUP_NAME = /^(\d{10,})-(\d{8}T\d{6}Z)-([a-z0-9-]{1,64})$/;
const CHUNK_KEY = /^chunks\/([0-9a-f]{2})\/([0-9a-f]{64})(\.gz|\.zst)?$/;
const SNAPSHOT_NAME = /^(\d{10,})-([A-Za-z0-9]{1,128})$/;

/** Validates a chain id used in store keys (nodeos: 64 hex chars; geth: a number). */
export function assertChainId(chainId: string): string {
  if (!CHAIN_ID.test(chainId)) throw BackupErrors.args(`chain id ${JSON.stringify(chainId)} must match ${CHAIN_ID}`);
  return chainId;
}

/** Validates a backup tag (lowercase letters, digits, dashes). */
export function assertTag(tag: string): string {
  if (!TAG.test(tag)) throw BackupErrors.args(`tag ${JSON.stringify(tag)} must match ${TAG}`);
  return tag;
}

/** True for a lowercase hex sha256. */
export function isHash(value: string): boolean {
  return HASH.test(value);
}

/** `chunks/<sha[0:2]>/<sha>` (+ `.gz` or `.zst` when compressed). */
export function chunkKey(hash: string, compression: Compression): string {
  return `chunks/${hash.slice(0, 2)}/${hash}${CHUNK_SUFFIX[compression]}`;
}

/** The hash a chunk key stores, undefined for keys that are not chunks. */
export function parseChunkKey(key: string): string | undefined {
  const match = CHUNK_KEY.exec(key);
  return match !== null && match[2]?.startsWith(match[1] ?? "") === true ? match[2] : undefined;
}

/** `yyyymmddThhmmssZ` in UTC. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** `<head:010>-<yyyymmddThhmmssZ>-<tag>`. */
export function backupName(headNum: number, at: Date, tag: string): string {
  return `${String(headNum).padStart(10, "0")}-${compactUtc(at)}-${assertTag(tag)}`;
}

/** The parts of a backup name, undefined when it is not one. */
export function parseBackupName(name: string): { headNum: number; createdAt: Date; tag: string } | undefined {
  const match = BACKUP_NAME.exec(name);
  if (match === null) return undefined;
  const [, head = "", stamp = "", tag = ""] = match;
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime())) return undefined;
  return { headNum: Number(head), createdAt, tag };
}

/** Where the manifests of a chain live: `backups/<chain_id>/`. */
export function manifestPrefix(chainId: string): string {
  return `backups/${assertChainId(chainId)}/`;
}

/** `backups/<chain_id>/<name>.json`. */
export function manifestKey(chainId: string, name: string): string {
  return `${manifestPrefix(chainId)}${name}.json`;
}

/** Checks the name a restore was asked for: `latest` or a backup name (BKP_ERR_BAD_NAME otherwise). */
export function assertRestoreName(name: string): string {
  if (name !== "latest" && parseBackupName(name) === undefined) {
    throw BackupErrors.badName("backup", name, "<head:010>-<yyyymmddThhmmssZ>-<tag>");
  }
  return name;
}

/** Checks the name a snapshot restore was asked for: `latest` or a snapshot name (BKP_ERR_BAD_NAME otherwise). */
export function assertSnapshotRestoreName(name: string): string {
  if (name !== "latest" && parseSnapshotName(name) === undefined)
    throw BackupErrors.badName("snapshot", name, "<head:010>-<head_block_id>");
  return name;
}

/** `snapshots/<chain_id>/`. */
export function snapshotPrefix(chainId: string): string {
  return `snapshots/${assertChainId(chainId)}/`;
}

/** `<head:010>-<head_block_id>`. */
export function snapshotName(headNum: number, headId: string): string {
  const name = `${String(headNum).padStart(10, "0")}-${headId}`;
  if (!SNAPSHOT_NAME.test(name)) throw BackupErrors.args(`snapshot head id ${JSON.stringify(headId)} must be alphanumeric`);
  return name;
}

/** The head of a snapshot name, undefined when it is not one. */
export function parseSnapshotName(name: string): { headNum: number; headId: string } | undefined {
  const match = SNAPSHOT_NAME.exec(name);
  return match === null ? undefined : { headNum: Number(match[1]), headId: match[2] ?? "" };
}

/** `snapshots/<chain_id>/<name>.bin`. */
export function snapshotKey(chainId: string, name: string): string {
  return `${snapshotPrefix(chainId)}${name}.bin`;
}

/** Where running backups announce themselves, so gc leaves their chunks alone. */
export const LOCKS_PREFIX = "locks/";
