import type { Logger } from "@manageos/core";
import { MindreaderErrors } from "../errors.js";
import type { MindreaderMetrics } from "../metrics/metrics.js";

/** Where the upload backlog stands against `maxPendingFiles`. */
export type BacklogLevel = "ok" | "warn" | "full";

/** Tracks the backlog level so each crossing is reported once, not on every file. */
export class BacklogAlarm {
  private current: BacklogLevel = "ok";

  constructor(private readonly bound: number) {}

  /** The level for `pending` files, and whether it changed since the last call. */
  update(pending: number): { level: BacklogLevel; changed: boolean } {
    const level: BacklogLevel = pending >= this.bound ? "full" : pending >= this.bound / 2 ? "warn" : "ok";
    // Going down, only report once back under half the bound, so a backlog hovering at a threshold does not flap.
    const next = level === "warn" && this.current === "full" && pending >= this.bound / 2 ? "full" : level;
    const changed = next !== this.current;
    this.current = next;
    return { level: next, changed };
  }

  get level(): BacklogLevel {
    return this.current;
  }
}

/**
 * Reports the upload backlog: the metrics at every change, and each crossing of a threshold once, in the log (an
 * error with MDR_ERR_BACKLOG_FULL at the bound, a warning at half of it, info when back under half). Returns the
 * new level when it changed.
 */
export function reportBacklog(
  alarm: BacklogAlarm,
  pending: number,
  bound: number,
  deps: { readonly logger: Logger; readonly metrics?: MindreaderMetrics },
): BacklogLevel | undefined {
  deps.metrics?.filesPendingUpload.set(pending);
  const { level, changed } = alarm.update(pending);
  if (!changed) return undefined;
  deps.metrics?.backlogFull.set(level === "full" ? 1 : 0);
  const fields = { pending, bound };
  if (level === "full") {
    const err = MindreaderErrors.backlogFull(pending, bound);
    deps.logger.error({ ...fields, err }, "block store backlog full: block files keep piling up locally");
  } else if (level === "warn") {
    deps.logger.warn(fields, "block store backlog at half its bound");
  } else {
    deps.logger.info(fields, "block store backlog back to normal");
  }
  return level;
}
