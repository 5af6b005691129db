import { defineError } from "../errors/catalogue.js";

/** Errors of the operator's commands. */
export const OperatorErrors = {
  unavailable: defineError("OPS_ERR_UNAVAILABLE", 501, (what: string) => `${what} is not available in this configuration`),
  notBpMode: defineError("OPS_ERR_NOT_BP_MODE", 409, (command: string) => `${command} needs block-producer mode (--bp-mode)`),
  notProducer: defineError("OPS_ERR_NOT_PRODUCER", 501, () => "this node cannot pause or resume block production"),
  inMaintenance: defineError(
    "OPS_ERR_MAINTENANCE",
    409,
    (command: string) => `cannot ${command}: the node is in maintenance; resume it first`,
  ),
  syncTimeout: defineError(
    "OPS_ERR_SYNC_TIMEOUT",
    504,
    (ms: number, reason: string) => `the node did not sync within ${Math.round(ms / 1000)}s: ${reason}`,
  ),
  insecureBind: defineError(
    "OPS_ERR_INSECURE_BIND",
    400,
    (listen: string) =>
      `refusing to serve the operator API on ${listen} without a token: set api.token (MANAGEOS_API__TOKEN) or listen on 127.0.0.1`,
  ),
  unsafeInBpMode: defineError(
    "OPS_ERR_UNSAFE_IN_BP_MODE",
    409,
    (command: string, instead: string) =>
      `${command} is refused in block-producer mode: nodeos signs only after the safe resume; use ${instead}`,
  ),
  nodeStopped: defineError("OPS_ERR_NODE_STOPPED", 409, (state: string) => `the node is ${state}`),
};
