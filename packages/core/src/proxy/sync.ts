/** One observation of the node's head. */
export interface HeadObservation {
  readonly num: number;
  /** Head block time, ms since the epoch. */
  readonly time: number;
  /** When it was observed, ms since the epoch. */
  readonly at: number;
}

/** Settings of the synced test. */
export interface SyncOptions {
  /** The head block may be at most this old (ms). */
  readonly maxLag: number;
  /** The chain's block interval (ms): the head must advance at about this pace. */
  readonly blockInterval: number;
}

/**
 * Decides whether a node is synced: head block time within `maxLag` of now, and the head
 * seen advancing within the recent window (a node stuck on a recent block is not synced).
 */
export class SyncTracker {
  readonly #opts: SyncOptions;
  readonly #seen: HeadObservation[] = [];

  constructor(opts: SyncOptions) {
    this.#opts = opts;
  }

  /** Records a head observation. */
  observe(head: HeadObservation): void {
    this.#seen.push(head);
    const horizon = head.at - this.#window();
    while (this.#seen.length > 2 && (this.#seen[0] as HeadObservation).at < horizon) this.#seen.shift();
  }

  /** Forgets everything (the node stopped). */
  reset(): void {
    this.#seen.length = 0;
  }

  /** The reason the node is not synced, or undefined when it is. */
  notSyncedReason(now: number): string | undefined {
    const last = this.#seen.at(-1);
    if (last === undefined) return "no head observed yet";
    const lag = now - last.time;
    if (lag > this.#opts.maxLag) return `head block ${last.num} is ${(lag / 1000).toFixed(1)}s old`;
    if (now - last.at > this.#window()) return "no recent head observation";
    const advanced = this.#seen.some((o) => o.num < last.num && now - o.at <= this.#window());
    if (!advanced) return this.#seen.length < 2 ? "waiting for the head to advance" : `head stuck at block ${last.num}`;
    return undefined;
  }

  isSynced(now: number): boolean {
    return this.notSyncedReason(now) === undefined;
  }

  // How far back an advance still counts: the allowed lag, and at least four blocks.
  #window(): number {
    return Math.max(this.#opts.maxLag, 4 * this.#opts.blockInterval);
  }
}
