import { defineError } from "@manageos/core";

/** Errors of block-producer mode. Codes are stable: never renamed, never reused. */
export const ProductionErrors = {
  unsafeResume: defineError("PRD_ERR_UNSAFE_RESUME", 409, (reason: string) => `refusing to resume production: ${reason}`),
  notReady: defineError("PRD_ERR_NOT_READY", 409, (reason: string) => `cannot decide on production yet: ${reason}`),
  leaseHeld: defineError("PRD_ERR_LEASE_HELD", 409, (holder: string) => `the producer lease is held by ${holder}`),
  coordinator: defineError("PRD_ERR_COORDINATOR", 503, (reason: string) => `the coordinator cannot be reached: ${reason}`),
  pauseUnconfirmed: defineError(
    "PRD_ERR_PAUSE_UNCONFIRMED",
    502,
    (reason: string) => `nodeos did not confirm that production is paused: ${reason}`,
  ),
  peerUnreachable: defineError(
    "PRD_ERR_PEER_UNREACHABLE",
    409,
    (peers: string) =>
      `refusing to resume production: these peers did not answer, so they may produce: ${peers} (check them, or resume with skip_unreachable_peers once they are known to be paused or down)`,
  ),
  finality: defineError("PRD_ERR_FINALITY", 502, (reason: string) => `the finalizer key could not be activated: ${reason}`),
  intentRefused: defineError("PRD_ERR_INTENT_REFUSED", 409, (reason: string) => `resume intent refused: ${reason}`),
  peer: defineError("PRD_ERR_PEER", 502, (peer: string, reason: string) => `peer ${peer}: ${reason}`),
  handoffRefused: defineError("PRD_ERR_HANDOFF_REFUSED", 409, (peer: string, reason: string) => `handoff to ${peer} refused: ${reason}`),
  noSchedule: defineError("PRD_ERR_NO_PRODUCER_NAME", 400, () => "bp mode needs bp.producerName (--producer-name)"),
};
