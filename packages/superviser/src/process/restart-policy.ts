import type { ExitResult } from "@manageos/core";
import type { BackoffOptions } from "./backoff.js";

/** When a child that ended on its own is started again. */
export interface RestartOptions extends BackoffOptions {
  policy: "always" | "on-failure" | "never";
  /** Uptime after which the child counts as stable and the crash count resets. */
  resetAfter: number;
  /** Consecutive crashes from which the state is `crash-loop`. */
  crashLoopThreshold: number;
  /** Exit codes that never restart (nodeos 2: dirty database, a restart would fail the same way). */
  noRestartExitCodes?: readonly number[];
}

/** True when the exit was a failure (non-zero code or a signal). */
export function isFailure(exit: ExitResult): boolean {
  return exit.exitCode !== 0 || exit.signal !== undefined;
}

/** Whether an unrequested exit leads to a restart under the policy. */
export function shouldRestart(exit: ExitResult, opts: RestartOptions): boolean {
  if (exit.requested) return false;
  if (exit.exitCode !== undefined && opts.noRestartExitCodes?.includes(exit.exitCode)) return false;
  if (opts.policy === "never") return false;
  if (opts.policy === "on-failure") return isFailure(exit);
  return true;
}
