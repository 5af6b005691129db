import type { BlockEvent } from "@manageos/core";

/** Where this node stands in the producer rotation. */
export type ProductionState = "producing" | "producing-next" | "just-produced" | "not-producing";

/** Settings of the tracker: our producer name and the chain's timing (from config, never hard-coded). */
export interface ProductionTrackerOptions {
  readonly producerName: string;
  /** Milliseconds between blocks. */
  readonly blockInterval: number;
  /** Consecutive blocks per producer per round. */
  readonly roundLength: number;
}

/** A block of our producer name as the tracker remembers it. */
export interface OurBlock {
  readonly num: number;
  /** Block time, ms since the epoch. */
  readonly timeMs: number;
  /** `here`: this node produced it; `elsewhere`: received, so another node of ours produced it. */
  readonly where: "here" | "elsewhere";
  /** Blocks of other producers seen before this one (to count the slots of ours left empty between two of ours). */
  readonly othersBefore: number;
}

/** What the tracker knows, for the status API and the safety checks. */
export interface ProductionSnapshot {
  readonly state: ProductionState;
  readonly inSchedule: boolean;
  readonly schedule: readonly string[];
  /** The producer of the last block seen. */
  readonly currentProducer: string | undefined;
  readonly lastBlock: { readonly num: number; readonly timeMs: number; readonly producer: string } | undefined;
  readonly lastProducedHere: OurBlock | undefined;
  readonly lastProducedElsewhere: OurBlock | undefined;
  /** Blocks of ours in the current run (our round so far), wherever produced. */
  readonly ourRunLength: number;
}

const KEEP_OURS = 4096;
// Ids of the blocks produced here, kept across restarts of nodeos: several rotations of our rounds on any chain.
const KEEP_PRODUCED_IDS = 20_000;

/** Follows block events and the active schedule; tells whether we produce, are next, just produced or not. */
export class ProductionTracker {
  readonly #opts: ProductionTrackerOptions;
  #schedule: readonly string[] = [];
  #last: { num: number; timeMs: number; producer: string; kind: BlockEvent["kind"] } | undefined;
  #lastHere: OurBlock | undefined;
  #lastElsewhere: OurBlock | undefined;
  #run = 0;
  #others = 0;
  #producedInLastRun = false;
  readonly #ours: OurBlock[] = [];
  readonly #producedIds = new Map<number, string>();

  constructor(opts: ProductionTrackerOptions) {
    this.#opts = opts;
  }

  /** Our producer name. */
  get producerName(): string {
    return this.#opts.producerName;
  }

  /** The active schedule, in order (from `get_producer_schedule`). */
  setSchedule(producers: readonly string[]): void {
    this.#schedule = [...producers];
  }

  /** Whether this node produced block `num` with this id (a block it signed, seen again after a restore or a replay). */
  producedHere(num: number, idPrefix: string): boolean {
    return this.#producedIds.get(num) === idPrefix;
  }

  /** Feeds one block line event. */
  observe(block: BlockEvent): void {
    const timeMs = Date.parse(block.time);
    const ours = block.producer === this.#opts.producerName;
    const previous = this.#last;
    if (ours) {
      const continuing = previous !== undefined && previous.producer === block.producer;
      this.#run = continuing ? this.#run + 1 : 1;
      // A block this node signed comes in as received when nodeos syncs it again (after a restore from an older
      // backup): the same number and id are ours, not another node's.
      const here = block.kind === "produced" || this.producedHere(block.num, block.idPrefix);
      if (block.kind === "produced") {
        this.#producedIds.set(block.num, block.idPrefix);
        if (this.#producedIds.size > KEEP_PRODUCED_IDS) this.#producedIds.delete(this.#producedIds.keys().next().value as number);
      }
      const entry: OurBlock = { num: block.num, timeMs, where: here ? "here" : "elsewhere", othersBefore: this.#others };
      if (entry.where === "here") this.#lastHere = entry;
      else this.#lastElsewhere = entry;
      this.#ours.push(entry);
      if (this.#ours.length > KEEP_OURS) this.#ours.splice(0, this.#ours.length - KEEP_OURS);
      if (!continuing) this.#producedInLastRun = false;
      if (entry.where === "here") this.#producedInLastRun = true;
    } else {
      this.#others++;
      if (previous?.producer === this.#opts.producerName) this.#run = 0;
    }
    this.#last = { num: block.num, timeMs, producer: block.producer, kind: block.kind };
  }

  /** Forgets the block stream (the node restarted); the schedule is kept. */
  reset(): void {
    this.#last = undefined;
    this.#run = 0;
  }

  /** Our blocks seen at or after `fromNum`, oldest first. */
  oursSince(fromNum: number): OurBlock[] {
    return this.#ours.filter((b) => b.num >= fromNum);
  }

  /** Slots of ours nobody produced between two of our blocks: the time between them less the other producers' blocks. */
  missedBetween(a: OurBlock, b: OurBlock): number {
    const slots = Math.round((b.timeMs - a.timeMs) / this.#opts.blockInterval) - 1;
    return Math.max(0, slots - (b.othersBefore - a.othersBefore));
  }

  /** True once our run has reached a full round: the next block is another producer's. */
  roundComplete(): boolean {
    return this.#run >= this.#opts.roundLength;
  }

  /** The state and what it was computed from. */
  snapshot(): ProductionSnapshot {
    return {
      state: this.#state(),
      inSchedule: this.#schedule.includes(this.#opts.producerName),
      schedule: this.#schedule,
      currentProducer: this.#last?.producer,
      lastBlock: this.#last === undefined ? undefined : { num: this.#last.num, timeMs: this.#last.timeMs, producer: this.#last.producer },
      lastProducedHere: this.#lastHere,
      lastProducedElsewhere: this.#lastElsewhere,
      ourRunLength: this.#run,
    };
  }

  #state(): ProductionState {
    const last = this.#last;
    const me = this.#opts.producerName;
    if (last === undefined) return "not-producing";
    if (last.producer === me) {
      if (last.kind === "produced" && !this.roundComplete()) return "producing";
      // Our round is over (or another node of ours produces it): what comes next decides.
      if (last.kind === "produced") return "just-produced";
      return "not-producing";
    }
    const at = this.#schedule.indexOf(me);
    if (at < 0 || this.#schedule.length < 2) return "not-producing";
    const before = this.#schedule[(at - 1 + this.#schedule.length) % this.#schedule.length];
    const after = this.#schedule[(at + 1) % this.#schedule.length];
    if (last.producer === before) return "producing-next";
    if (last.producer === after && this.#producedInLastRun) return "just-produced";
    return "not-producing";
  }
}
