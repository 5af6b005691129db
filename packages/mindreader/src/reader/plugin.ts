import { EventEmitter } from "node:events";
import { isManageosError, type LogLine, type LogPlugin, type Logger, type ManageosError } from "@manageos/core";
import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import type { MindreaderMetrics } from "../metrics/metrics.js";
import type { BlockStream } from "../stream/block-stream.js";
import { type AssembledBlock, BlockAssembler, type DropReason } from "./assembler.js";
import { type ContinuityProblem, ContinuityChecker } from "./continuity.js";
import type { DeepMindVersion } from "./version.js";

const VERSION_LINE = "DMLOG DEEP_MIND_VERSION ";

/** Where assembled blocks go. */
export interface BlockSink {
  /** Takes a block without waiting; resolves true once it is safely on local disk. */
  write(block: AssembledBlock): Promise<boolean>;
  /** Undefined while the sink holds few enough blocks not yet on disk; else resolves once it does again. */
  room?(): Promise<void> | undefined;
  flush?(): Promise<void>;
}

/** What the reader is asked to do. */
export interface MindreaderOptions {
  /** Blocks below this are read (for continuity) but not written. */
  readonly startBlockNum?: number;
  /**
   * After writing this block, `stopBlock` fires so the app stops nodeos cleanly; later blocks are read but never
   * written, and the first one read after each (re)start of nodeos fires `pastStopBlock`.
   */
  readonly stopBlockNum?: number;
  /** `isReady()` is false while the head block is older than this. Default 30 s. */
  readonly readinessMaxLatencyMs?: number;
  /** Hand each block the version and ABIDUMP lines read before it (`context`), for a decoder that keeps ABIs. */
  readonly keepContext?: boolean;
  /**
   * The live stream gets each block's header as it is read (the default), or nothing from the reader: the sink
   * publishes blocks once decoded.
   */
  readonly publishHeaders?: boolean;
}

/** What the reader needs. */
export interface MindreaderDeps {
  readonly sink: BlockSink;
  readonly logger: Logger;
  readonly metrics?: MindreaderMetrics;
  readonly stream?: BlockStream;
  /** Injected clock, epoch milliseconds. */
  readonly now?: () => number;
}

/** Events of the reader. */
export interface MindreaderEvents {
  /** A block was assembled and handed to the sink (not yet written). */
  block: [block: AssembledBlock];
  continuityError: [error: ManageosError, problem: ContinuityProblem];
  drop: [num: number | undefined, reason: DropReason];
  /** The stop block is written (or could not be): time to stop nodeos. */
  stopBlock: [meta: BlockMeta, written: boolean];
  /** A block past the stop block was read (nodeos was started again after it stopped there): stop it again. */
  pastStopBlock: [meta: BlockMeta];
  /**
   * The reader stopped reading: unknown or missing deep-mind version, undecodable or truncated block, or an incomplete
   * accepted line that more output followed.
   */
  fatal: [error: ManageosError];
  version: [version: DeepMindVersion];
}

/**
 * The deep-mind reader as a log plugin: groups DMLOG lines per block, decodes headers, checks continuity and hands
 * blocks to a sink. `handle` returns before the block is written; it returns a promise only when the sink's
 * `room()` says too many blocks wait for the local disk, and the pipeline then holds nodeos' output until it resolves.
 * Nothing waits for the block store.
 */
export class MindreaderPlugin extends EventEmitter<MindreaderEvents> implements LogPlugin {
  readonly name = "mindreader";
  readonly lossy = false;
  private readonly assembler: BlockAssembler;
  private readonly continuity = new ContinuityChecker();
  private readonly now: () => number;
  private headMeta: BlockMeta | undefined;
  private headTimeMs = 0;
  private failed: ManageosError | undefined;
  // An incomplete accepted line, until the next line says whether it was the run's last (see `handle`).
  private incomplete: ManageosError | undefined;
  // Set once per nodeos start (reset by its version line), so a node run past the stop block is reported once.
  private pastStopReported = false;

  constructor(
    private readonly opts: MindreaderOptions,
    private readonly deps: MindreaderDeps,
  ) {
    super();
    this.now = deps.now ?? Date.now;
    this.assembler = new BlockAssembler(
      {
        onVersion: (version, line) => {
          deps.logger.info({ version, line }, "deep-mind version");
          this.pastStopReported = false;
          this.emit("version", version);
        },
        onDrop: (num, reason) => {
          deps.metrics?.droppedBlocksTotal.inc({ reason });
          deps.logger.warn({ num, reason }, "block being assembled dropped");
          this.emit("drop", num, reason);
        },
        onSwitchFork: (from, to) => {
          this.continuity.noteFork();
          deps.logger.info({ from, to }, "nodeos switched forks");
        },
      },
      { keepContext: opts.keepContext },
    );
  }

  /** Only deep-mind lines from stdout. */
  accepts(line: LogLine): boolean {
    return line.stream === "stdout" && line.text.startsWith("DMLOG ");
  }

  /**
   * Takes one line; throws (once) the coded error that stops the reader, then ignores further lines. Returns
   * undefined, or after a block, the sink's promise to wait for before the next line while it has no room.
   *
   * An accepted line cut short (MDR_ERR_BLOCK_INCOMPLETE) never makes a block. It is what a nodeos killed in the
   * middle of writing leaves as its last line, so it is dropped (a `warn`, the `incomplete` drop metric) if the run
   * ends there (`flush`) or the next line is a new run's version line; any other line after it means the output
   * itself is damaged, and the reader stops with that error.
   */
  handle(line: LogLine): Promise<void> | undefined {
    if (this.failed !== undefined) return undefined;
    if (this.incomplete !== undefined) {
      const incomplete = this.incomplete;
      this.incomplete = undefined;
      if (!line.text.startsWith(VERSION_LINE)) this.fail(incomplete);
    }
    let block: AssembledBlock | undefined;
    try {
      block = this.assembler.push(line.text, line.receivedAt, line.truncated);
    } catch (error) {
      if (isManageosError(error) && error.code === MindreaderErrors.blockIncomplete.code) {
        this.incomplete = error;
        this.deps.logger.warn({ err: error }, "incomplete accepted line: no block; the reader stops if more output follows it");
        return undefined;
      }
      this.fail(error);
    }
    if (block === undefined) return undefined;
    this.onBlock(block);
    const room = this.deps.sink.room?.();
    const metrics = this.deps.metrics;
    if (room === undefined || metrics === undefined) return room;
    // Time nodeos' output is held: what the writer costs the node.
    const waitFrom = process.hrtime.bigint();
    return room.then(() => metrics.readWaitSecondsTotal.inc(Number(process.hrtime.bigint() - waitFrom) / 1e9));
  }

  /**
   * Stops the reader with `error`, as a line it cannot read does: a block the sink found damaged or could not decode.
   * Later lines are ignored (nodeos' output is still drained), `fatal` fires once.
   */
  failWith(error: ManageosError): void {
    if (this.failed !== undefined) return;
    try {
      this.fail(error);
    } catch {
      // fail() throws for handle()'s caller; here the event is the report.
    }
  }

  /** The node's output ended (every line was handed over): waits for the blocks handed over to be written. */
  async flush(): Promise<void> {
    // The run's last line, cut: the drop logged with it stands, and reading goes on with the next run.
    this.incomplete = undefined;
    this.assembler.endRun();
    await this.deps.sink.flush?.();
  }

  /** The last block read. */
  get head(): BlockMeta | undefined {
    return this.headMeta;
  }

  /** Why the reader stopped, if it did. */
  get failure(): ManageosError | undefined {
    return this.failed;
  }

  /** Seconds between now and the head block's time; undefined before any block. */
  driftSeconds(): number | undefined {
    return this.headMeta === undefined ? undefined : (this.now() - this.headTimeMs) / 1000;
  }

  /** True once a block was read, the reader did not fail, and the head block is within `readinessMaxLatencyMs`. */
  isReady(): boolean {
    const drift = this.driftSeconds();
    const max = (this.opts.readinessMaxLatencyMs ?? 30_000) / 1000;
    return this.failed === undefined && drift !== undefined && drift <= max;
  }

  private onBlock(block: AssembledBlock): void {
    const { meta } = block;
    const problem = this.continuity.check(meta);
    if (problem !== undefined) this.reportContinuity(problem);
    this.headMeta = meta;
    this.headTimeMs = Date.parse(meta.timestamp);
    const metrics = this.deps.metrics;
    metrics?.headBlockNumber.set(meta.num);
    metrics?.libBlockNumber.set(meta.lib);
    metrics?.headBlockTimeDriftSeconds.set((this.now() - this.headTimeMs) / 1000);
    metrics?.blocksTotal.inc();
    if (this.opts.publishHeaders !== false) this.deps.stream?.publish(meta);
    if (this.opts.startBlockNum !== undefined && meta.num < this.opts.startBlockNum) return;
    if (this.opts.stopBlockNum !== undefined && meta.num > this.opts.stopBlockNum) {
      if (!this.pastStopReported) {
        this.pastStopReported = true;
        this.deps.logger.warn({ num: meta.num, stopBlockNum: this.opts.stopBlockNum }, "block past the stop block: not written");
        this.emit("pastStopBlock", meta);
      }
      return;
    }
    this.emit("block", block);
    const written = this.deps.sink.write(block);
    if (meta.num === this.opts.stopBlockNum) {
      // Later blocks of this run are nodeos' last ones before it stops: expected, not worth a warning.
      this.pastStopReported = true;
      void written.then((ok) => {
        this.deps.logger.info({ num: meta.num, written: ok }, "stop block reached");
        this.emit("stopBlock", meta, ok);
      });
    }
  }

  private reportContinuity(problem: ContinuityProblem): void {
    const err = MindreaderErrors.continuity(problem.num, problem.previous, problem.expectedPrevious, {
      details: { ...problem },
    });
    this.deps.metrics?.continuityErrorsTotal.inc({ kind: problem.kind });
    this.deps.logger.error({ err, ...problem }, "deep-mind continuity broken");
    this.emit("continuityError", err, problem);
  }

  private fail(error: unknown): never {
    const err = isManageosError(error) ? error : MindreaderErrors.decode("deep-mind line", (error as Error).message, { cause: error });
    this.failed = err;
    this.deps.logger.error({ err }, "mindreader stopped reading");
    this.emit("fatal", err);
    throw err;
  }
}
