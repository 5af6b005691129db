import { defineError } from "../errors/catalogue.js";

/** The storage layer's errors. Codes are stable: never renamed, never reused. */
export const StorageErrors = {
  url: defineError("STO_ERR_URL", 400, (url: string, reason: string) => `invalid storage URL ${url}: ${reason}`),
  key: defineError("STO_ERR_KEY", 400, (key: string, reason: string) => `invalid storage key ${JSON.stringify(key)}: ${reason}`),
  notFound: defineError("STO_ERR_NOT_FOUND", 404, (url: string) => `${url} does not exist`),
  exists: defineError("STO_ERR_EXISTS", 409, (url: string) => `${url} exists already`),
  auth: defineError("STO_ERR_AUTH", 403, (url: string, reason: string) => `access to ${url} denied: ${reason}`),
  corrupt: defineError("STO_ERR_CORRUPT", 502, (url: string, reason: string) => `${url} is corrupt: ${reason}`),
  unreachable: defineError(
    "STO_ERR_UNREACHABLE",
    503,
    (url: string, attempts: number, reason: string) => `${url} unreachable after ${attempts} attempt(s): ${reason}`,
  ),
  io: defineError("STO_ERR_IO", 500, (url: string, reason: string) => `storage I/O error on ${url}: ${reason}`),
  readOnly: defineError(
    "STO_ERR_READ_ONLY",
    500,
    (url: string, reason: string) => `${url} is on a read-only filesystem: ${reason}; remount it read-write or point storage.url elsewhere`,
  ),
  permission: defineError(
    "STO_ERR_PERMISSION",
    500,
    (url: string, reason: string) => `no permission on ${url}: ${reason}; check the owner and mode of the store's directories`,
  ),
  noSpace: defineError(
    "STO_ERR_NO_SPACE",
    507,
    (url: string, reason: string) => `no space left for ${url}: ${reason}; free space (gc, retention) or grow the filesystem`,
  ),
};
