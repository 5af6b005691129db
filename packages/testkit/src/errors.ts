import { defineError } from "@manageos/core";

/** The testkit's errors. Codes are stable: never renamed, never reused. */
export const TestkitErrors = {
  unknownOption: defineError("TK_ERR_UNKNOWN_OPTION", 400, (name: string) => `unrecognised option '${name}'`),
  badOptionValue: defineError(
    "TK_ERR_BAD_OPTION_VALUE",
    400,
    (name: string, value: string) => `the argument ('${value}') for option '${name}' is invalid`,
  ),
  configSyntax: defineError(
    "TK_ERR_CONFIG_SYNTAX",
    400,
    (line: string) => `the options configuration file contains an invalid line '${line}'`,
  ),
  multipleOccurrences: defineError(
    "TK_ERR_MULTIPLE_OCCURRENCES",
    400,
    (name: string) => `option '${name}' cannot be specified more than once`,
  ),
  snapshotNotEmpty: defineError("TK_ERR_SNAPSHOT_NOT_EMPTY", 409, () => "Snapshot can only be used to initialize an empty database."),
  snapshotCorrupt: defineError(
    "TK_ERR_SNAPSHOT_CORRUPT",
    400,
    (path: string, reason: string) => `snapshot ${path} cannot be read: ${reason}`,
  ),
  blockLogCorrupt: defineError(
    "TK_ERR_BLOCK_LOG_CORRUPT",
    500,
    (path: string, reason: string) => `block log ${path} is corrupt: ${reason}`,
  ),
  clusterInvalid: defineError("TK_ERR_CLUSTER_INVALID", 400, (path: string, reason: string) => `cluster ${path} is invalid: ${reason}`),
  simStartFailed: defineError("TK_ERR_SIM_START", 500, (name: string, reason: string) => `${name} did not start: ${reason}`),
  signerFailed: defineError("TK_ERR_SIGNER", 502, (url: string, reason: string) => `signature provider ${url} failed: ${reason}`),
  badKey: defineError("TK_ERR_BAD_KEY", 400, (reason: string) => `invalid key: ${reason}`),
};
