import { createHash } from "node:crypto";
import { producersOf, recordMissed, recordProduced } from "../cluster/ledger.js";
import { scheduledProducer } from "../cluster/cluster-config.js";
import {
  type BlockHeaderFields,
  blockIdOf,
  packHeader,
  packSignedBlock,
  placeholderSignature,
  type SimBlock,
  signingDigest,
  unpackSignedBlock,
} from "./block.js";
import { logProduced, logReceived } from "./block-lines.js";
import type { BlockLog } from "./block-log.js";
import type { Assessment, Finality } from "../savanna/finality.js";
import type { FcLogger } from "./fc-log.js";
import type { SignatureProvider } from "./signature-provider.js";

// The public key nodeos names when it lacks the scheduled producer's key (the dev key of a fresh chain).
const DEFAULT_SIGNING_KEY = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
// Blocks processed per turn of the event loop while catching up, so HTTP stays responsive.
const CATCH_UP_BATCH = 500;

/** Settings of a simulated chain. */
export interface ChainOptions {
  readonly chainId: string;
  readonly genesisTimeMs: number;
  readonly blockIntervalMs: number;
  readonly producers: readonly string[];
  readonly roundLength: number;
  readonly producerNames: readonly string[];
  readonly signers: readonly SignatureProvider[];
  readonly paused: boolean;
  readonly clusterDir: string | undefined;
  readonly instance: string;
  readonly libLag: number;
}

/** What the chain needs around it. */
export interface ChainDeps {
  readonly log: FcLogger;
  readonly blockLog: BlockLog;
  readonly now: () => number;
  /** Called for every block applied, in order (deep-mind output). */
  readonly onBlock?: (block: SimBlock, lib: number) => void;
  /** Spring 1.x: Savanna finality (LIB, votes); absent on leap 5. */
  readonly finality?: Finality;
}

/** The head of a chain that starts from a snapshot and has no block in its log yet. */
export type HeadSeed = Pick<SimBlock, "num" | "id" | "timeMs" | "producer">;

/** A time-driven chain: block n is due at genesis + (n-1) * interval; ours are produced, others received. */
export class SimChain {
  private headBlock: SimBlock;
  private pausedFlag: boolean;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = true;
  private lastTarget = 0;
  private warnedRound = -1;
  private readonly recentIds = new Map<number, string>();

  constructor(
    private readonly opts: ChainOptions,
    private readonly deps: ChainDeps,
    seed?: HeadSeed,
  ) {
    this.pausedFlag = opts.paused;
    this.headBlock = this.initialHead(seed);
  }

  /** The head block. */
  get head(): SimBlock {
    return this.headBlock;
  }

  /** The last irreversible block number. */
  get lib(): number {
    const f = this.deps.finality;
    if (f?.isSavanna(this.headBlock.num)) return Math.max(this.deps.blockLog.preamble.firstBlockNum, f.libOf(this.headBlock.num), 1);
    return Math.max(this.deps.blockLog.preamble.firstBlockNum, this.headBlock.num - this.opts.libLag, 1);
  }

  /** The first block the block log holds. */
  get firstBlockNum(): number {
    return this.deps.blockLog.preamble.firstBlockNum;
  }

  /** Whether production is paused (producer API). */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Pauses or resumes production. */
  setPaused(paused: boolean): void {
    this.pausedFlag = paused;
  }

  /** Settings the chain runs with. */
  get options(): ChainOptions {
    return this.opts;
  }

  /** Starts following the clock. */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops after the block being applied, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  /** The id of block `num`, if known. */
  idOf(num: number): string | undefined {
    return this.recentIds.get(num) ?? this.block(num)?.id;
  }

  /** Block `num` from the block log. */
  block(num: number): SimBlock | undefined {
    const bytes = this.deps.blockLog.read(num);
    return bytes === undefined ? undefined : unpackSignedBlock(bytes, num, this.timeOf(num));
  }

  /** The time block `num` is due. */
  timeOf(num: number): number {
    return this.opts.genesisTimeMs + (num - 1) * this.opts.blockIntervalMs;
  }

  /** The producer scheduled for block `num`. */
  producerOf(num: number): string {
    return scheduledProducer(this.opts, num);
  }

  /** True when this node could sign a block for `producer` right now. */
  canProduce(producer: string): boolean {
    return this.opts.producerNames.includes(producer) && this.opts.signers.length > 0 && !this.pausedFlag;
  }

  private initialHead(seed: HeadSeed | undefined): SimBlock {
    const log = this.deps.blockLog;
    const last = log.headNum >= log.preamble.firstBlockNum ? this.block(log.headNum) : undefined;
    if (last !== undefined && (seed === undefined || last.num >= seed.num)) return this.remember(last);
    if (seed !== undefined) {
      return this.remember({ ...this.fields(seed.num, "0".repeat(64)), ...seed, signature: placeholderSignature(seed.id) });
    }
    const genesis = this.build(this.fields(1, "0".repeat(64), "eosio"));
    log.append(packSignedBlock(genesis));
    return this.remember(genesis);
  }

  private fields(num: number, previous: string, producer = this.producerOf(num)): BlockHeaderFields {
    return {
      num,
      previous,
      timeMs: this.timeOf(num),
      producer,
      confirmed: 0,
      transactionMroot: "0".repeat(64),
      actionMroot: createHash("sha256").update(`${this.opts.chainId}:${num}`).digest("hex"),
      scheduleVersion: this.opts.clusterDir === undefined ? 0 : 1,
    };
  }

  private build(fields: BlockHeaderFields, signature?: string): SimBlock {
    const id = blockIdOf(packHeader(fields), fields.num);
    return { ...fields, id, signature: signature ?? placeholderSignature(id) };
  }

  private remember(block: SimBlock): SimBlock {
    this.recentIds.set(block.num, block.id);
    this.recentIds.delete(block.num - 2000);
    return block;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A slot of ours left unproduced is not retried: the next tick is the next block's.
    const due = this.timeOf(Math.max(this.headBlock.num, this.lastTarget) + 1);
    this.timer = setTimeout(
      () => {
        this.running = this.tick().catch((error: unknown) => {
          this.deps.log.log("error", { file: "controller.cpp", line: 1, method: "apply_block" }, String(error));
        });
        void this.running.then(() => this.schedule());
      },
      Math.max(0, due - this.deps.now()),
    );
  }

  // Applies every block due by now, in order; a due block of ours is produced or left for the next tick.
  private async tick(): Promise<void> {
    const target = Math.floor((this.deps.now() - this.opts.genesisTimeMs) / this.opts.blockIntervalMs) + 1;
    this.lastTarget = target;
    let applied = 0;
    while (!this.stopped && this.headBlock.num < target && applied < CATCH_UP_BATCH) {
      const num = this.headBlock.num + 1;
      const producer = this.producerOf(num);
      const ours = this.opts.producerNames.includes(producer);
      if (num === target && ours) {
        if (this.canProduce(producer)) await this.produce(num, producer);
        else this.explainNotProducing(num, producer);
        break;
      }
      await this.receive(num, producer, ours);
      applied++;
    }
  }

  private async produce(num: number, producer: string): Promise<void> {
    const fields = this.fields(num, this.headBlock.id, producer);
    const header = packHeader(fields);
    let signature: string;
    try {
      signature = await this.opts.signers[0]!.sign(signingDigest(header, this.opts.chainId));
    } catch (error) {
      // nodeos' LOG_AND_DROP around produce_block: the exception at warn, then the block is aborted (the slot is lost).
      const site = { thread: "nodeos", file: "producer_plugin.cpp", line: 2655, method: "maybe_produce_block" };
      this.deps.log.log("warn", site, (error as Error).message);
      this.deps.log.log("debug", site, "Aborting block due to produce_block error");
      return;
    }
    if (this.stopped) return;
    const block = this.build(fields, signature);
    if (this.opts.clusterDir !== undefined) await recordProduced(this.opts.clusterDir, num, this.opts.instance, producer);
    // The QC is weighed before the block becomes head, so that get_info never sees the head with the old LIB.
    const qc = await this.deps.finality?.assess(block);
    this.apply(block);
    logProduced(this.deps.log, block, this.lib, this.springLines(num));
    await this.vote(block, qc);
  }

  private springLines(num: number): { savanna: boolean } | undefined {
    const f = this.deps.finality;
    return f === undefined ? undefined : { savanna: f.isSavanna(num) };
  }

  private async vote(block: SimBlock, qc: Assessment | undefined): Promise<void> {
    const lib = this.lib;
    await this.deps.finality?.vote(block, qc, lib, this.idOf(lib) ?? block.id);
  }

  private async receive(num: number, producer: string, ours: boolean): Promise<void> {
    let seen = true;
    if (ours) {
      // A slot of our producer is received only if another instance of the cluster produced it.
      const by = this.opts.clusterDir === undefined ? [] : await producersOf(this.opts.clusterDir, num);
      seen = by.length > 0;
      if (!seen && this.opts.clusterDir !== undefined) await recordMissed(this.opts.clusterDir, num, producer);
    }
    const block = this.build(this.fields(num, this.headBlock.id, producer));
    const qc = await this.deps.finality?.assess(block);
    this.apply(block);
    if (seen) logReceived(this.deps.log, block, this.lib, this.deps.now(), this.springLines(num));
    await this.vote(block, qc);
  }

  private apply(block: SimBlock): void {
    this.deps.blockLog.append(packSignedBlock(block));
    this.headBlock = this.remember(block);
    this.deps.onBlock?.(block, this.lib);
  }

  // nodeos says why it skips its slot; once per round here, not once per block.
  private explainNotProducing(num: number, producer: string): void {
    const round = Math.floor(num / this.opts.roundLength);
    if (round === this.warnedRound) return;
    this.warnedRound = round;
    const site = { thread: "prod-0", file: "producer_plugin.cpp", line: 1968, method: "start_block" };
    if (this.pausedFlag) this.deps.log.log("error", site, "Not producing block because production is explicitly paused");
    else if (this.opts.signers.length === 0)
      this.deps.log.log("error", site, `Not producing block because I don't have the private key for ${DEFAULT_SIGNING_KEY}`);
    else this.deps.log.log("debug", site, `Not producing block for ${producer}`);
  }
}
