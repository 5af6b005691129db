import { hasVoted, recordVote, votersOf } from "../cluster/votes.js";
import type { SimBlock } from "../nodeos/block.js";
import { type FcLogger, formatTime } from "../nodeos/fc-log.js";
import { activeKeys, readFinalizerTables } from "./finalizer-table.js";
import { readSafetyFile, type SafetyEntry, safetyFilePath, writeSafetyFile } from "./safety-file.js";

/** Settings of a Spring node's finality. */
export interface FinalityOptions {
  /** First block under Savanna. */
  readonly savannaFrom: number;
  /** Where finalizers.json (the finkeys and finalizers tables) lives: the cluster dir, or `<data-dir>/state`. */
  readonly tablesDir: string;
  readonly clusterDir: string | undefined;
  readonly instance: string;
  readonly finalizersDir: string;
  /** The node's BLS public keys (its `PUB_BLS_` signature providers). */
  readonly keys: readonly string[];
  /** False with `vote-threads = 0`: votes are not sent. */
  readonly voting: boolean;
}

// Under Savanna a block is final once a strong QC on a QC'd block is seen: two blocks behind head.
const SAVANNA_LIB_LAG = 2;
const VOTES = { file: "tracked_votes.cpp", line: 160, method: "log_missing_votes" };
// Votes of our own kept for a node outside a cluster, which has no shared vote ledger.
const OWN_VOTES_KEPT = 8;
// Blocks older than this are being synced: a finalizer votes on recent blocks only.
const RECENT_MS = 60_000;

/** What a block's QC showed: the active finalizer keys (key to finalizer name) and those that did not vote. */
export interface Assessment {
  readonly active: ReadonlyMap<string, string>;
  readonly missing: readonly [string, string][];
}

/** Savanna on a Spring node: LIB close to head, votes of the node's active finalizer keys, missing-vote lines. */
export class Finality {
  private readonly ownVotes = new Map<number, Set<string>>();
  // Highest final block known from strong QCs; undefined until the first block under Savanna is applied here.
  private finalNum: number | undefined;

  private constructor(
    private readonly opts: FinalityOptions,
    private readonly log: FcLogger,
    private readonly safety: Map<string, SafetyEntry>,
    /** Set when safety.dat did not read back: the node then refuses to vote and leaves the file as it is. */
    private readonly refused: boolean,
  ) {}

  /** Reads safety.dat; a corrupt one is logged at error and the node's finalizers do not vote. */
  static async open(opts: FinalityOptions, log: FcLogger): Promise<Finality> {
    const path = safetyFilePath(opts.finalizersDir);
    try {
      const safety = (await readSafetyFile(path)) ?? new Map<string, SafetyEntry>();
      if (opts.keys.length > 0)
        log.log(
          "info",
          { file: "finalizer.cpp", line: 150, method: "load_finalizer_safety_info" },
          `loaded finalizer safety information for ${safety.size} finalizer(s) from ${path}`,
        );
      return new Finality(opts, log, safety, false);
    } catch (error) {
      log.log(
        "error",
        { file: "finalizer.cpp", line: 160, method: "load_finalizer_safety_info" },
        `unable to read finalizer safety persistence file ${path}: ${(error as Error).message}; local finalizers will not vote`,
      );
      return new Finality(opts, log, new Map(), true);
    }
  }

  /** True when block `num` is under Savanna. */
  isSavanna(num: number): boolean {
    return num >= this.opts.savannaFrom;
  }

  /**
   * LIB under Savanna for a head: two behind it while the QCs are strong (votes of more than two thirds of the active
   * finalizer keys; an empty set stands for finalizers outside the simulator, who always vote); it stalls otherwise.
   */
  libOf(head: number): number {
    return Math.min(head - SAVANNA_LIB_LAG, this.finalNum ?? head - SAVANNA_LIB_LAG);
  }

  /**
   * Before block `block`'s line is logged: the transition line, then the QC the block carries on n-1 (which
   * finalizers of the active set voted), which moves LIB. Undefined when the block is not under Savanna or old.
   */
  async assess(block: SimBlock): Promise<Assessment | undefined> {
    if (!this.isSavanna(block.num)) return undefined;
    if (block.num === this.opts.savannaFrom && block.num > 1)
      this.log.log(
        "info",
        { file: "controller.cpp", line: 1200, method: "transition_to_savanna" },
        `Transitioning to savanna, IF Genesis Block ${block.num}, IF Critical Block ${block.num}`,
      );
    if (Date.now() - block.timeMs > RECENT_MS) {
      this.finalNum = block.num - SAVANNA_LIB_LAG;
      return undefined;
    }
    const active = activeKeys(await readFinalizerTables(this.opts.tablesDir));
    const missing = block.num > this.opts.savannaFrom ? await this.missingVotes(block.num - 1, active) : [];
    if (active.size === 0 || missing.length * 3 < active.size || this.finalNum === undefined)
      this.finalNum = Math.max(this.finalNum ?? 0, block.num - SAVANNA_LIB_LAG);
    return { active, missing };
  }

  /** After block `block`'s line: the missing votes as tracked_votes logs them, then our votes (safety.dat first). */
  async vote(block: SimBlock, a: Assessment | undefined, lib: number, libId: string): Promise<void> {
    if (a === undefined) return;
    if (a.missing.length > 0) this.logMissing(block, a.missing);
    if (!this.opts.voting || this.refused) return;
    // Monotony: a finalizer never votes twice at a height, nor below its last vote (a restored safety.dat can be ahead).
    const mine = this.opts.keys.filter((k) => a.active.has(k) && (this.safety.get(k)?.lastVoteNum ?? 0) < block.num);
    if (mine.length === 0) return;
    // safety.dat first, durably: a vote must never be sent that the file does not remember.
    for (const key of mine)
      this.safety.set(key, { lastVoteNum: block.num, lastVoteId: block.id, lockNum: lib, lockId: libId, timeMs: Date.now() });
    await writeSafetyFile(safetyFilePath(this.opts.finalizersDir), this.safety);
    for (const key of mine) {
      if (this.opts.clusterDir !== undefined)
        await recordVote(this.opts.clusterDir, block.num, this.opts.instance, a.active.get(key)!, key);
      else this.ownVotes.set(block.num, new Set([...(this.ownVotes.get(block.num) ?? []), key]));
    }
    this.ownVotes.delete(block.num - OWN_VOTES_KEPT);
  }

  // Finalizers of the active set whose vote on block `qcNum` is not in: [key, finalizer name].
  private async missingVotes(qcNum: number, active: ReadonlyMap<string, string>): Promise<[string, string][]> {
    const missing: [string, string][] = [];
    if (this.opts.clusterDir !== undefined) {
      const voters = await votersOf(this.opts.clusterDir, qcNum);
      for (const [key, name] of active) if (!hasVoted(voters, key)) missing.push([key, name]);
    } else {
      const voters = this.ownVotes.get(qcNum) ?? new Set<string>();
      for (const [key, name] of active) if (!voters.has(key)) missing.push([key, name]);
    }
    return missing;
  }

  // Block n carries the QC on block n-1: the finalizers missing from it, as tracked_votes.cpp logs them.
  private logMissing(block: SimBlock, missing: readonly [string, string][]): void {
    const qcNum = block.num - 1;
    const id16 = block.id.slice(8, 24);
    for (const [key, name] of missing)
      if (this.opts.keys.includes(key))
        this.log.log("warn", VOTES, `Local finalizer ${name} did not vote in block ${block.num} : ${id16} for block ${qcNum}`);
    const latency = Math.max(0, Math.round(Date.now() - block.timeMs));
    this.log.log(
      "info",
      VOTES,
      `Block ${id16}... #${block.num} @ ${formatTime(block.timeMs)} produced by ${block.producer}, latency: ${latency}ms has no votes for block #${qcNum} from finalizers: ${missing.map(([, n]) => n).join(",")}`,
    );
  }
}
