import type { PartMember } from "./bundle-parts.js";
import { BUNDLE_SIZE, type OneBlockName } from "./naming.js";

/** A one-block file the bundler may use: a file of its own, or a member of its range's part (`member`). */
export interface BundleEntry extends OneBlockName {
  readonly name: string;
  readonly member?: PartMember;
}

/** A range ready to merge: its base and its files in block order. */
export interface BundlePlan {
  readonly base: number;
  readonly entries: readonly BundleEntry[];
}

// Block 1 is genesis and never printed by deep-mind: the first range starts at 2.
const FIRST_BLOCK = 2;

/** Decides which ranges (100 blocks by default) are final (all past LIB) and which files, on the chain that won, make them. */
export class Bundler {
  private readonly byNum = new Map<number, BundleEntry[]>();
  private head: BundleEntry | undefined;
  private lib = 0;
  private next: number | undefined;

  /** `size` blocks per bundle; bases are multiples of it. */
  constructor(private readonly size = BUNDLE_SIZE) {}

  /** The first block not yet bundled (or skipped); undefined before any block. */
  get nextBase(): number | undefined {
    return this.next;
  }

  /**
   * Records a one-block file; the last one added is the head the canonical chain is walked back from. A block of a
   * range already handed over (printed again by a node restarted from an older state) is not kept: it can never be
   * bundled, and a long replay of such blocks would otherwise pile up here.
   */
  add(entry: BundleEntry): void {
    if (this.next !== undefined && entry.num < this.next) return;
    const list = this.byNum.get(entry.num) ?? [];
    if (!list.some((other) => other.name === entry.name)) list.push(entry);
    this.byNum.set(entry.num, list);
    // nodeos accepts a block only on its best fork: the latest one is the head.
    this.head = entry;
    this.lib = Math.max(this.lib, entry.lib);
    if (this.next === undefined) this.next = Math.floor(entry.num / this.size) * this.size;
  }

  /** Ranges whose last block is at or below LIB, oldest first; each is complete or `entries` is empty (skipped). */
  take(): BundlePlan[] {
    const plans: BundlePlan[] = [];
    while (this.next !== undefined && this.head !== undefined && this.next + this.size - 1 <= this.lib) {
      const base = this.next;
      plans.push({ base, entries: this.chain(base) });
      this.next = base + this.size;
      for (const num of [...this.byNum.keys()]) if (num < this.next) this.byNum.delete(num);
    }
    return plans;
  }

  // Walks back from the head along previous ids to the range, then collects it; empty if a link is missing.
  private chain(base: number): BundleEntry[] {
    const first = Math.max(base, FIRST_BLOCK);
    const last = base + this.size - 1;
    let cursor: BundleEntry | undefined = this.head;
    const picked: BundleEntry[] = [];
    while (cursor !== undefined && cursor.num >= first) {
      if (cursor.num <= last) picked.push(cursor);
      if (cursor.num === first) break;
      const tail: string = cursor.previousTail;
      cursor = this.byNum.get(cursor.num - 1)?.find((entry) => entry.idTail === tail);
    }
    picked.reverse();
    return picked.length === last - first + 1 ? picked : [];
  }
}
