import { defineError } from "@manageos/core";

/** The superviser package's errors. Codes are stable: never renamed, never reused. */
export const SuperviserErrors = {
  spawn: defineError("SUP_ERR_SPAWN", 500, (command: string, reason: string) => `cannot start ${command}: ${reason}`),
  state: defineError("SUP_ERR_STATE", 409, (action: string, state: string) => `cannot ${action} while ${state}`),
  closed: defineError("SUP_ERR_CLOSED", 409, (name: string) => `${name} is closed`),
  startCancelled: defineError(
    "SUP_ERR_START_CANCELLED",
    409,
    (name: string) => `${name} was stopped while its start waited out the restart backoff`,
  ),
  prepare: defineError("SUP_ERR_PREPARE", 500, (name: string, reason: string) => `cannot prepare ${name}: ${reason}`),
  dirty: defineError(
    "SUP_ERR_DIRTY",
    409,
    (dataDir: string) => `the database in ${dataDir} is dirty (unclean shutdown): replay or restore required`,
  ),
  blocksigner: defineError(
    "SUP_ERR_BLOCKSIGNER",
    503,
    (url: string, attempts: number, reason: string) =>
      `blocksigner ${url} did not give its public keys after ${attempts} attempts: ${reason}`,
  ),
  nodeApi: defineError("SUP_ERR_NODE_API", 502, (url: string, reason: string) => `node API ${url} failed: ${reason}`),
  nodeApiTimeout: defineError(
    "SUP_ERR_NODE_API_TIMEOUT",
    504,
    (url: string, timeoutMs: number) => `node API ${url} did not answer within ${timeoutMs} ms`,
  ),
  configIni: defineError("SUP_ERR_CONFIG_INI", 400, (reason: string) => `invalid config.ini: ${reason}`),
  version: defineError(
    "SUP_ERR_NODE_VERSION",
    500,
    (binary: string, reason: string) => `cannot tell which nodeos ${binary} is (--version): ${reason}; set node.release to leap or spring`,
  ),
  optionRefused: defineError("SUP_ERR_OPTION_REFUSED", 400, (key: string, reason: string) => `config.ini option ${key} refused: ${reason}`),
  finalizerKeys: defineError("SUP_ERR_FINALIZER_KEYS", 400, (where: string, reason: string) => `finalizer keys ${where}: ${reason}`),
  rpc: defineError("SUP_ERR_RPC", 502, (method: string, reason: string) => `JSON-RPC ${method} failed: ${reason}`),
};
