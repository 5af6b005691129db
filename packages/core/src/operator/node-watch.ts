import { EventEmitter } from "node:events";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Chain, ChainState, HeadInfo } from "../chain/chain.js";
import { atomicWriteJson, readJsonFile } from "../fs/atomic-write.js";
import type { JobContext } from "../jobs/job.js";
import type { ProxyGate } from "../proxy/gate.js";
import { SyncTracker } from "../proxy/sync.js";
import { OperatorErrors } from "./errors.js";
import type { OperatorMetrics } from "./metrics.js";

/** What /healthz answers. */
export interface Health {
  readonly ready: boolean;
  readonly reasons: string[];
}

/** What the parts that stop and start the node (backups, recovery) need to know of it. */
export interface NodeStatus {
  /** True while a person keeps the node stopped. */
  readonly inMaintenance: boolean;
  /** Whether the node is ready to serve, and why not. */
  health(): Health;
  /** Resolves once the node is synced; fails after the sync timeout or when the job is cancelled. */
  waitSynced(ctx: Pick<JobContext, "signal">, timeout?: number): Promise<HeadInfo | undefined>;
}

/** Settings of the node watch. */
export interface NodeWatchOptions {
  readonly stateDir: string;
  readonly syncedMaxLag: number;
  readonly blockInterval: number;
  /** How long `waitSynced` waits by default. */
  readonly syncTimeout?: number;
}

/** What the node watch follows and reports to. */
export interface NodeWatchDeps {
  readonly chain: Chain;
  readonly gate: ProxyGate;
  readonly logger: Logger;
  readonly metrics?: Pick<OperatorMetrics, "synced">;
  /** More reasons the node is not ready, from parts the operator does not own (the mindreader). */
  readonly health?: () => readonly string[];
  /** The clock, ms since the epoch. */
  readonly now?: () => number;
}

interface PersistedState {
  maintenance: boolean;
  /** bp mode: production was on when maintenance began; `resume` brings it back through the safe resume. */
  resumeProduction?: boolean;
}

/**
 * The node's readiness: whether it is synced (which opens and closes the proxy gate), whether it is in maintenance
 * (persisted across manageos restarts), and why it is not ready.
 */
export class NodeWatch extends EventEmitter<{ synced: [boolean] }> implements NodeStatus {
  readonly #opts: NodeWatchOptions;
  readonly #deps: NodeWatchDeps;
  readonly #logger: Logger;
  readonly #sync: SyncTracker;
  readonly #now: () => number;
  #maintenance = false;
  #resumeProductionAfter = false;
  #stopping = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(opts: NodeWatchOptions, deps: NodeWatchDeps) {
    super();
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "operator" });
    this.#now = deps.now ?? Date.now;
    this.#sync = new SyncTracker({ maxLag: opts.syncedMaxLag, blockInterval: opts.blockInterval });
  }

  get inMaintenance(): boolean {
    return this.#maintenance;
  }

  /** bp mode: production was on when maintenance began, so `resume` brings it back. */
  get resumesProduction(): boolean {
    return this.#resumeProductionAfter;
  }

  /** Whether the node was synced at the last look. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Loads the persisted maintenance state; from then on follows the node's head and state. */
  async start(): Promise<void> {
    const saved = (await readJsonFile(this.#stateFile())) as Partial<PersistedState> | undefined;
    this.#maintenance = saved?.maintenance === true;
    this.#resumeProductionAfter = this.#maintenance && saved?.resumeProduction === true;
    const { chain, gate } = this.#deps;
    gate.set("maintenance", this.#maintenance);
    chain.on("head", this.#onHead);
    chain.on("state", this.#onState);
    this.#onState(chain.status().state);
    this.#syncTimer = setInterval(() => this.#evaluateSync(), Math.min(1000, Math.max(50, this.#opts.blockInterval)));
    this.#syncTimer.unref();
  }

  /** manageos stops: the node is not ready any more. */
  markStopping(): void {
    this.#stopping = true;
  }

  /** Stops following the node. */
  close(): void {
    clearInterval(this.#syncTimer);
    this.#deps.chain.off("head", this.#onHead);
    this.#deps.chain.off("state", this.#onState);
  }

  /** Enters or leaves maintenance, persisted; `resumeProduction` records that production was on when it began. */
  async setMaintenance(on: boolean, resumeProduction = false): Promise<void> {
    this.#maintenance = on;
    this.#resumeProductionAfter = on && resumeProduction;
    this.#deps.gate.set("maintenance", on);
    await atomicWriteJson(this.#stateFile(), { maintenance: on, resumeProduction: this.#resumeProductionAfter } satisfies PersistedState);
  }

  /** Resolves once the node is synced; fails after the sync timeout or when the job is cancelled. */
  async waitSynced(ctx: Pick<JobContext, "signal">, timeout = this.#opts.syncTimeout ?? 300_000): Promise<HeadInfo | undefined> {
    const deadline = this.#now() + timeout;
    while (!this.#sync.isSynced(this.#now())) {
      ctx.signal.throwIfAborted();
      if (this.#now() > deadline) {
        throw OperatorErrors.syncTimeout(timeout, this.#sync.notSyncedReason(this.#now()) ?? "unknown");
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.off("synced", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(1000, Math.max(20, this.#opts.blockInterval)));
        this.on("synced", done);
      });
    }
    return this.#deps.chain.status().head;
  }

  /** Whether the node is ready to serve, and why not. */
  health(): Health {
    const reasons: string[] = [];
    if (this.#stopping) reasons.push("manageos is stopping");
    if (this.#maintenance) reasons.push("maintenance");
    const state = this.#deps.chain.status().state;
    if (state !== "running") reasons.push(`node is ${state}`);
    else {
      const reason = this.#sync.notSyncedReason(this.#now());
      if (reason !== undefined) reasons.push(`not synced: ${reason}`);
    }
    reasons.push(...(this.#deps.health?.() ?? []));
    return { ready: reasons.length === 0, reasons };
  }

  readonly #onHead = (head: HeadInfo): void => {
    if (head.headBlockTime === undefined) return;
    this.#sync.observe({ num: head.headBlockNum, time: Date.parse(head.headBlockTime), at: head.observedAt });
    this.#evaluateSync();
  };

  readonly #onState = (state: ChainState): void => {
    this.#deps.gate.set("stopped", state !== "running");
    if (state !== "running") {
      this.#sync.reset();
      this.#evaluateSync();
    }
  };

  // Opens or closes the gate's not-synced reason as the head moves or goes stale.
  #evaluateSync(): void {
    const synced = this.#deps.chain.status().state === "running" && this.#sync.isSynced(this.#now());
    this.#deps.gate.set("not-synced", !synced);
    if (synced !== this.#synced) {
      this.#synced = synced;
      this.#deps.metrics?.synced.set(synced ? 1 : 0);
      this.#logger.info({ synced }, synced ? "node synced" : "node not synced");
      this.emit("synced", synced);
    }
  }

  #stateFile(): string {
    return join(this.#opts.stateDir, "operator.json");
  }
}
