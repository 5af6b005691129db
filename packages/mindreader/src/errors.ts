import { defineError } from "@manageos/core";

/** The mindreader's errors. Codes are stable: never renamed, never reused. */
export const MindreaderErrors = {
  deepMindVersion: defineError("MDR_ERR_DEEP_MIND_VERSION", 500, (line: string) =>
    `unsupported deep-mind version: ${line} (supported: leap 13, spring 1, legacy JSON)`,
  ),
  decode: defineError("MDR_ERR_DECODE", 500, (what: string, reason: string) => `cannot decode ${what}: ${reason}`),
  blockIdMismatch: defineError("MDR_ERR_BLOCK_ID_MISMATCH", 500, (num: number, computed: string, printed: string) =>
    `block ${num}: computed id ${computed} differs from the printed id ${printed}`,
  ),
  continuity: defineError(
    "MDR_ERR_CONTINUITY",
    500,
    (num: number, previous: string, expected: string) =>
      `block ${num} does not link: its previous id is ${previous}, expected ${expected}`,
  ),
  blockFileWrite: defineError("MDR_ERR_BLOCK_FILE_WRITE", 500, (path: string, reason: string) =>
    `cannot write block file ${path}: ${reason}`,
  ),
  upload: defineError("MDR_ERR_UPLOAD", 503, (key: string, reason: string) => `cannot upload ${key}: ${reason}`),
  backlogFull: defineError("MDR_ERR_BACKLOG_FULL", 503, (pending: number, bound: number) =>
    `${pending} block files wait for upload (bound ${bound}): the block store is slow or down`,
  ),
  lineTruncated: defineError("MDR_ERR_LINE_TRUNCATED", 500, (num: number | undefined) =>
    `a deep-mind line of block ${num ?? "?"} was cut at the maximum line length: raise it above the largest block`,
  ),
  fromTooOld: defineError("MDR_ERR_FROM_TOO_OLD", 410, (from: number, oldest: number) =>
    `block ${from} is no longer in the live stream's memory (oldest ${oldest})`,
  ),
  badRequest: defineError("MDR_ERR_BAD_REQUEST", 400, (reason: string) => `bad request: ${reason}`),
  options: defineError("MDR_ERR_OPTIONS", 400, (reason: string) => `invalid mindreader options: ${reason}`),
};
