import type { ExitResult } from "@manageos/core";

/** The reasons a child can end, as the `reason` label. */
export const EXIT_REASONS = ["requested", "killed", "signal", "success", "error"] as const;

/** One word for how a child ended. */
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Classifies an exit for metrics and status. */
export function exitReason(exit: ExitResult): ExitReason {
  if (exit.killed) return "killed";
  if (exit.requested) return "requested";
  if (exit.signal !== undefined) return "signal";
  return exit.exitCode === 0 ? "success" : "error";
}
