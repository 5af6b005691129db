import { defineError } from "../errors/catalogue.js";

/** The backup engine's errors. Codes are stable: never renamed, never reused. */
export const BackupErrors = {
  args: defineError("BKP_ERR_ARGS", 400, (reason: string) => `invalid backup request: ${reason}`),
  source: defineError("BKP_ERR_SOURCE", 500, (path: string, reason: string) => `cannot back up ${path}: ${reason}`),
  sourceChanged: defineError(
    "BKP_ERR_SOURCE_CHANGED",
    409,
    (path: string) => `${path} changed while it was backed up (the node must be stopped during a backup)`,
  ),
  exists: defineError("BKP_ERR_EXISTS", 409, (name: string) => `backup ${name} exists already`),
  notFound: defineError("BKP_ERR_NOT_FOUND", 404, (chainId: string, name: string) => `no backup ${name} for chain ${chainId}`),
  badName: defineError(
    "BKP_ERR_BAD_NAME",
    400,
    (what: "backup" | "snapshot", name: string, expected: string) =>
      `${JSON.stringify(name)} is not a ${what} name: expected latest or ${expected}`,
  ),
  noBackup: defineError("BKP_ERR_NO_BACKUP", 404, (chainId: string) => `no usable backup for chain ${chainId}`),
  manifestInvalid: defineError(
    "BKP_ERR_MANIFEST_INVALID",
    502,
    (key: string, reason: string) => `backup manifest ${key} is invalid: ${reason}`,
  ),
  manifestVersion: defineError(
    "BKP_ERR_MANIFEST_VERSION",
    502,
    (key: string, format: string, known: string) =>
      `backup manifest ${key} is in format ${format}, which this version cannot read (it reads ${known}): restore it with a newer manageos`,
  ),
  chunkMissing: defineError(
    "BKP_ERR_CHUNK_MISSING",
    502,
    (backup: string, chunk: string, file: string) => `backup ${backup}: chunk ${chunk} of ${file} is missing from the store`,
  ),
  chunkCorrupt: defineError(
    "BKP_ERR_CHUNK_CORRUPT",
    502,
    (backup: string, chunk: string, file: string, reason: string) => `backup ${backup}: chunk ${chunk} of ${file} is corrupt: ${reason}`,
  ),
  restoreSwap: defineError(
    "BKP_ERR_RESTORE_SWAP",
    500,
    (dataDir: string, reason: string) => `cannot put the restored data in place at ${dataDir}: ${reason}`,
  ),
  finalizersMount: defineError(
    "BKP_ERR_FINALIZERS_MOUNT",
    409,
    (path: string) =>
      `${path} is a mount point inside the data dir: a restore swaps the data dir and cannot carry it over; ` +
      "mount it outside the data dir and point finalizers-dir at it",
  ),
  busy: defineError("BKP_ERR_BUSY", 409, (what: string) => `refused while ${what}`),
  snapshotNotFound: defineError(
    "BKP_ERR_SNAPSHOT_NOT_FOUND",
    404,
    (chainId: string, name: string) => `no snapshot ${name} for chain ${chainId}`,
  ),
  producing: defineError(
    "BKP_ERR_PRODUCING",
    409,
    (command: string, state: string) =>
      `refusing ${command}: this node is ${state}; pause production safely first or wait for the end of the round`,
  ),
  unsupported: defineError("BKP_ERR_UNSUPPORTED", 501, (what: string) => `this node does not support ${what}`),
  noHead: defineError(
    "BKP_ERR_NO_HEAD",
    409,
    (command: string) =>
      `cannot ${command}: the node's head block and chain id are not known yet; start the node and let it answer get_info`,
  ),
  noChainId: defineError(
    "BKP_ERR_NO_CHAIN_ID",
    409,
    (reason: string) => `cannot tell which chain to restore: ${reason}; set backup.chainId`,
  ),
  dirtyData: defineError(
    "BKP_ERR_DIRTY_DATA",
    409,
    (dataDir: string) => `the data in ${dataDir} is dirty (unclean shutdown); not backing it up`,
  ),
  recoveryFailed: defineError("BKP_ERR_RECOVERY_FAILED", 500, (reason: string) => `the node could not be recovered: ${reason}`),
  nodeExited: defineError("BKP_ERR_NODE_EXITED", 500, (detail: string) => `the node exited after it was started: ${detail}`),
};
