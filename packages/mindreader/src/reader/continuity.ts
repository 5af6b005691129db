import type { BlockMeta } from "../codec/block-meta.js";

/** How a block can fail to follow the one before it: a gap in numbers, or a previous id that does not match. */
export const CONTINUITY_KINDS = ["gap", "previous"] as const;

/** A block that does not follow the one before it. */
export interface ContinuityProblem {
  readonly kind: (typeof CONTINUITY_KINDS)[number];
  readonly num: number;
  readonly id: string;
  /** The previous id the block carries. */
  readonly previous: string;
  /** The id it should have linked to: the last block read (or, after a fork switch, any recent one). */
  readonly expectedPrevious: string;
  readonly lastNum: number;
}

/** Checks that each block links to the one before; after SWITCH_FORK, to any block seen recently. */
export class ContinuityChecker {
  private last: BlockMeta | undefined;
  private forked = false;
  private readonly recent = new Map<string, number>();

  constructor(private readonly memory = 2048) {}

  /** nodeos switched forks: the next block may link to an older block. */
  noteFork(): void {
    this.forked = true;
  }

  /** Records the block and says what is wrong with it, if anything. */
  check(meta: BlockMeta): ContinuityProblem | undefined {
    const last = this.last;
    const problem = last === undefined ? undefined : this.problem(meta, last);
    this.last = meta;
    this.forked = false;
    this.recent.set(meta.id, meta.num);
    if (this.recent.size > this.memory) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
    return problem;
  }

  private problem(meta: BlockMeta, last: BlockMeta): ContinuityProblem | undefined {
    if (meta.previous === last.id) return undefined;
    if (this.forked && this.recent.has(meta.previous)) return undefined;
    const kind = meta.num > last.num + 1 ? "gap" : "previous";
    return { kind, num: meta.num, id: meta.id, previous: meta.previous, expectedPrevious: last.id, lastNum: last.num };
  }
}
