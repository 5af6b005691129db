import type { Chain, ChainState, Logger, ManageosError } from "@manageos/core";
import type { BlockMeta } from "../codec/block-meta.js";
import type { MindreaderPlugin } from "../reader/plugin.js";

/** When the node must stop, and how old the head may be while healthz says ready. */
export interface NodeControlOptions {
  readonly stopBlockNum?: number;
  readonly readinessMaxLatencyMs: number;
}

/** The reader to follow and the node to stop. */
export interface NodeControlDeps {
  readonly chain: Chain;
  readonly plugin: MindreaderPlugin;
  readonly logger: Logger;
}

/**
 * What the mindreader asks of the node: a clean stop (the chain's TERM policy) once the stop block is written, when
 * the node was started again past it, or when the reader failed; the daemon stays up so uploads drain and the API
 * answers. Also the mindreader's reasons for /healthz.
 */
export class NodeControl {
  private stopping = false;
  private reachedStopBlock: number | undefined;

  constructor(
    private readonly opts: NodeControlOptions,
    private readonly deps: NodeControlDeps,
  ) {
    const { plugin, chain } = deps;
    plugin.on("stopBlock", (meta, written) => this.onStopBlock(meta, written));
    plugin.on("pastStopBlock", (meta) => this.onPastStopBlock(meta));
    plugin.on("fatal", (err) => this.onFatal(err));
    chain.on("state", (state) => this.onState(state));
  }

  /** Why the mindreader keeps the node from being ready; empty when ready. */
  health(): string[] {
    const { plugin } = this.deps;
    const failure = plugin.failure;
    if (failure !== undefined) return [`mindreader failed (${failure.code}): ${failure.message}`];
    if (this.reachedStopBlock !== undefined) return [`mindreader reached its stop block ${this.reachedStopBlock}`];
    if (plugin.isReady()) return [];
    const drift = plugin.driftSeconds();
    if (drift === undefined) return ["mindreader has read no block yet"];
    const max = this.opts.readinessMaxLatencyMs / 1000;
    return [`mindreader head block ${plugin.head?.num} is ${drift.toFixed(1)} s old (max ${max} s)`];
  }

  private onStopBlock(meta: BlockMeta, written: boolean): void {
    this.reachedStopBlock = meta.num;
    if (written) this.deps.logger.info({ num: meta.num }, "stop block written: stopping the node");
    else this.deps.logger.error({ num: meta.num }, "stop block could not be written to the work dir: stopping the node");
    this.stopNode();
  }

  private onPastStopBlock(meta: BlockMeta): void {
    this.reachedStopBlock = this.opts.stopBlockNum;
    this.deps.logger.warn(
      { num: meta.num, stopBlockNum: this.opts.stopBlockNum },
      "the node runs past the stop block: stopping it (remove --stop-block-num to go on)",
    );
    this.stopNode();
  }

  private onFatal(err: ManageosError): void {
    this.deps.logger.error(
      { err, code: err.code },
      "mindreader cannot read the node's deep-mind output: stopping the node; it stays stopped until manageos is restarted",
    );
    this.stopNode();
  }

  // A node started again (resume) while the reader is failed would run unread: stop it again.
  private onState(state: ChainState): void {
    const failure = this.deps.plugin.failure;
    if (state !== "running" || failure === undefined) return;
    this.deps.logger.error({ code: failure.code }, "the node was started while the mindreader is failed: stopping it");
    // Not from inside the state change: let the start that announced it finish first.
    setImmediate(() => this.stopNode());
  }

  // One stop at a time; the chain's TERM policy decides how long it may take.
  private stopNode(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.deps.chain.stop().then(
      (exit) => {
        this.stopping = false;
        this.deps.logger.info({ exit: exit ?? null }, "node stopped by the mindreader");
      },
      (error: unknown) => {
        this.stopping = false;
        this.deps.logger.error({ err: error }, "the mindreader could not stop the node");
      },
    );
  }
}
