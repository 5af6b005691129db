import { defineError } from "@manageos/core";

/** The mindreader's errors. Codes are stable: never renamed, never reused. */
export const MindreaderErrors = {
  deepMindVersion: defineError(
    "MDR_ERR_DEEP_MIND_VERSION",
    500,
    (line: string) =>
      `unsupported deep-mind version: ${line} (supported: leap 13 (also printed mandel 13), spring 1, legacy JSON without a version line)`,
  ),
  decode: defineError("MDR_ERR_DECODE", 500, (what: string, reason: string) => `cannot decode ${what}: ${reason}`),
  blockIdMismatch: defineError(
    "MDR_ERR_BLOCK_ID_MISMATCH",
    500,
    (num: number, computed: string, printed: string) => `block ${num}: computed id ${computed} differs from the printed id ${printed}`,
  ),
  continuity: defineError(
    "MDR_ERR_CONTINUITY",
    500,
    (num: number, previous: string, expected: string) => `block ${num} does not link: its previous id is ${previous}, expected ${expected}`,
  ),
  blockFileWrite: defineError(
    "MDR_ERR_BLOCK_FILE_WRITE",
    500,
    (path: string, reason: string) => `cannot write block file ${path}: ${reason}`,
  ),
  upload: defineError("MDR_ERR_UPLOAD", 503, (key: string, reason: string) => `cannot upload ${key}: ${reason}`),
  backlogFull: defineError(
    "MDR_ERR_BACKLOG_FULL",
    503,
    (pending: number, bound: number) => `${pending} block files wait for upload (bound ${bound}): the block store is slow or down`,
  ),
  lineTruncated: defineError(
    "MDR_ERR_LINE_TRUNCATED",
    500,
    (num: number | undefined) =>
      `a deep-mind line of block ${num ?? "?"} was cut at the maximum line length: raise it above the largest block`,
  ),
  fromTooOld: defineError(
    "MDR_ERR_FROM_TOO_OLD",
    410,
    (from: number, oldest: number) => `block ${from} is no longer in the live stream's memory (oldest ${oldest})`,
  ),
  badRequest: defineError("MDR_ERR_BAD_REQUEST", 400, (reason: string) => `bad request: ${reason}`),
  options: defineError("MDR_ERR_OPTIONS", 400, (reason: string) => `invalid mindreader options: ${reason}`),
  blockIncomplete: defineError("MDR_ERR_BLOCK_INCOMPLETE", 500, (what: string, reason: string) => `${what} is incomplete: ${reason}`),
  blockTrailingBytes: defineError(
    "MDR_ERR_BLOCK_TRAILING_BYTES",
    500,
    (what: string, left: number, size: number) => `${what}: ${left} of its ${size} bytes follow the end of the structure`,
  ),
  libAhead: defineError(
    "MDR_ERR_LIB_AHEAD",
    500,
    (num: number, lib: number) => `block ${num} says its last irreversible block is ${lib}, ahead of the block itself`,
  ),
  deepMindVersionMissing: defineError(
    "MDR_ERR_DEEP_MIND_VERSION_MISSING",
    500,
    (num: number | undefined) =>
      `block ${num ?? "?"} came before any DEEP_MIND_VERSION line: nodeos prints its deep-mind version first (leap 13, spring 1)`,
  ),
};
