import type { BlockEvent } from "@manageos/core";
import type { ProductionClock } from "./clock.js";
import { type OurBlock, type ProductionSnapshot, ProductionTracker, type ProductionTrackerOptions } from "./production-state.js";

// Blocks at about the interval that make a node synced.
const SYNC_BLOCKS = 5;

/** Since when (ms) and from which block the chain has been watched since nodeos last started. */
export interface Watching {
  readonly since: number;
  readonly fromNum: number;
}

/**
 * The chain as this node has seen it since nodeos last started: the production tracker, since when it watches,
 * whether it follows the chain (synced), and waits on a condition that blocks change.
 */
export class BlockWatch {
  readonly #opts: ProductionTrackerOptions;
  readonly #clock: ProductionClock;
  readonly #closing: AbortSignal;
  readonly #tracker: ProductionTracker;
  readonly #waiters = new Set<() => void>();
  #watchingSince: number | undefined;
  #watchingFromNum: number | undefined;
  #recentGaps: number[] = [];
  #lastSeenAt: number | undefined;

  constructor(opts: ProductionTrackerOptions, deps: { clock: ProductionClock; closing: AbortSignal }) {
    this.#opts = opts;
    this.#clock = deps.clock;
    this.#closing = deps.closing;
    this.#tracker = new ProductionTracker(opts);
  }

  /** Feeds one block; the waiters are woken by `wake`, once the block has been acted on. */
  observe(block: BlockEvent): void {
    const now = this.#clock.now();
    this.#watchingSince ??= now;
    this.#watchingFromNum ??= block.num;
    if (this.#lastSeenAt !== undefined) {
      this.#recentGaps.push(now - this.#lastSeenAt);
      if (this.#recentGaps.length > SYNC_BLOCKS - 1) this.#recentGaps.shift();
    }
    this.#lastSeenAt = now;
    this.#tracker.observe(block);
  }

  /** Forgets what was seen since nodeos started (it stopped); the schedule and our produced ids are kept. */
  reset(): void {
    this.#tracker.reset();
    this.#watchingSince = undefined;
    this.#watchingFromNum = undefined;
    this.#lastSeenAt = undefined;
    this.#recentGaps = [];
  }

  /** The active schedule, in order. */
  setSchedule(producers: readonly string[]): void {
    this.#tracker.setSchedule(producers);
  }

  /** Where we stand in the rotation, and what it was computed from. */
  snapshot(): ProductionSnapshot {
    return this.#tracker.snapshot();
  }

  /** Our blocks seen from `fromNum` on. */
  oursSince(fromNum: number): OurBlock[] {
    return this.#tracker.oursSince(fromNum);
  }

  /** Slots of ours nobody produced between two of our blocks. */
  missedBetween(a: OurBlock, b: OurBlock): number {
    return this.#tracker.missedBetween(a, b);
  }

  /** Whether this node produced block `num` with this id. */
  producedHere(num: number, idPrefix: string): boolean {
    return this.#tracker.producedHere(num, idPrefix);
  }

  /** Since when and from which block the chain has been watched since nodeos last started. */
  watching(): Watching | undefined {
    if (this.#watchingSince === undefined || this.#watchingFromNum === undefined) return undefined;
    return { since: this.#watchingSince, fromNum: this.#watchingFromNum };
  }

  /** True once the node follows the chain: the last SYNC_BLOCKS blocks came at about the interval and the last is recent. */
  isSynced(): boolean {
    const last = this.#tracker.snapshot().lastBlock;
    if (last === undefined || this.#recentGaps.length < SYNC_BLOCKS - 1) return false;
    const interval = this.#opts.blockInterval;
    return this.#recentGaps.every((gap) => gap <= 3 * interval + 250) && this.#clock.now() - last.timeMs <= this.freshLimit();
  }

  /** How old the last block may be for the node to count as following the chain, ms. */
  freshLimit(): number {
    return Math.max(5 * this.#opts.blockInterval, 1_000);
  }

  /** Resolves true once `predicate` holds (checked at each block and every interval), false at `deadline`. */
  async waitUntil(predicate: () => boolean, deadline: number, signal?: AbortSignal): Promise<boolean> {
    while (!predicate()) {
      signal?.throwIfAborted();
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) return false;
      const wake = new AbortController();
      const onBlock = () => wake.abort();
      this.#waiters.add(onBlock);
      await this.#clock.sleep(
        Math.min(remaining, this.#opts.blockInterval),
        AbortSignal.any([wake.signal, this.#closing, ...(signal ? [signal] : [])]),
      );
      this.#waiters.delete(onBlock);
      if (this.#closing.aborted) return predicate();
    }
    return true;
  }

  /** Wakes every waiter to check its condition again (a block came, or production closes). */
  wake(): void {
    for (const wake of this.#waiters) wake();
  }
}
