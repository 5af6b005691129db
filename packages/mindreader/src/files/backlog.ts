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
