import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Chain, ChainState, HeadInfo } from "../chain/chain.js";
import { atomicWriteJson, readJsonFile } from "../fs/atomic-write.js";
import type { JobContext, JobRecord, JobRunner } from "../jobs/job.js";
import type { JobQueue } from "../jobs/queue.js";
import type { GateStatus, ProxyGate } from "../proxy/gate.js";
import { SyncTracker } from "../proxy/sync.js";
import { MANAGEOS_VERSION } from "../version.js";
import { OperatorErrors } from "./errors.js";
import type { OperatorMetrics } from "./metrics.js";
import { isProducing, resumeProductionAfterJob } from "./production-after-job.js";
import type { BackupService, ProductionService } from "./services.js";

/** Settings the operator needs. */
export interface OperatorOptions {
  readonly app: string;
  readonly stateDir: string;
  readonly syncedMaxLag: number;
  readonly blockInterval: number;
  /** How long `resume` waits for the node to sync before failing the job. */
  readonly syncTimeout?: number;
}

/** The parts the operator drives. */
export interface OperatorDeps {
  readonly chain: Chain;
  readonly queue: JobQueue;
  readonly gate: ProxyGate;
  readonly logger: Logger;
  readonly metrics?: OperatorMetrics;
  readonly backups?: BackupService;
  readonly production?: ProductionService;
  /** Starts the node at boot in place of a plain `chain.start()` (restore, dirty recovery); closed at shutdown. */
  readonly recovery?: { boot(): Promise<void>; close?(): void };
  /** More reasons the node is not ready, from parts the operator does not own (the mindreader). */
  readonly health?: () => readonly string[];
  /** The clock, ms since the epoch. */
  readonly now?: () => number;
}

/** How a mutating command is asked for. */
export interface CommandOptions {
  readonly queue?: boolean;
}

/** What /healthz answers. */
export interface Health {
  readonly ready: boolean;
  readonly reasons: string[];
}

interface PersistedState {
  maintenance: boolean;
  /** bp mode: production was on when maintenance began; `resume` brings it back through the safe resume. */
  resumeProduction?: boolean;
}

/** Owns the node, the proxy gate and the command queue; every mutating command is a job. */
export class Operator extends EventEmitter<{ synced: [boolean] }> {
  readonly #opts: OperatorOptions;
  readonly #deps: OperatorDeps;
  readonly #logger: Logger;
  readonly #sync: SyncTracker;
  readonly #now: () => number;
  #maintenance = false;
  #resumeProductionAfter = false;
  #stopping = false;
  #syncTimer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(opts: OperatorOptions, deps: OperatorDeps) {
    super();
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "operator" });
    this.#now = deps.now ?? Date.now;
    this.#sync = new SyncTracker({ maxLag: opts.syncedMaxLag, blockInterval: opts.blockInterval });
  }

  get chain(): Chain {
    return this.#deps.chain;
  }

  get queue(): JobQueue {
    return this.#deps.queue;
  }

  get inMaintenance(): boolean {
    return this.#maintenance;
  }

  /** Loads state and jobs, watches the node, and starts it unless it was left in maintenance. */
  async start(): Promise<void> {
    const saved = (await readJsonFile(this.#stateFile())) as Partial<PersistedState> | undefined;
    this.#maintenance = saved?.maintenance === true;
    this.#resumeProductionAfter = this.#maintenance && saved?.resumeProduction === true;
    await this.#deps.queue.load();
    const { chain, gate } = this.#deps;
    gate.set("maintenance", this.#maintenance);
    chain.on("head", this.#onHead);
    chain.on("state", this.#onState);
    this.#onState(chain.status().state);
    this.#syncTimer = setInterval(() => this.#evaluateSync(), Math.min(1000, Math.max(50, this.#opts.blockInterval)));
    this.#syncTimer.unref();
    if (this.#maintenance) {
      this.#logger.warn("node left in maintenance: not starting it; resume to start");
      return;
    }
    if (this.#deps.recovery !== undefined) await this.#deps.recovery.boot();
    else await chain.start();
  }

  /** Closes the gate, lets the running job end, stops the node; resolves with whether the node had to be killed. */
  async shutdown(): Promise<{ killed: boolean }> {
    this.#stopping = true;
    this.#deps.recovery?.close?.();
    this.#deps.gate.close("shutdown");
    const running = this.#deps.queue.running();
    if (running !== undefined) {
      this.#logger.warn({ job: running.id, kind: running.kind }, "cancelling the running job to shut down");
      this.#deps.queue.cancel(running.id);
    }
    await this.#deps.queue.close();
    clearInterval(this.#syncTimer);
    const { chain } = this.#deps;
    chain.off("head", this.#onHead);
    chain.off("state", this.#onState);
    const exit = await chain.stop();
    await chain.close();
    return { killed: exit?.killed === true };
  }

  /** Runs a command as a job. */
  submit(kind: string, params: Record<string, unknown>, run: JobRunner, options: CommandOptions = {}): JobRecord {
    return this.#deps.queue.submit(kind, params, run, options);
  }

  /**
   * Closes the proxy, stops the node and keeps it stopped, also across manageos restarts. In bp mode production is
   * paused safely first; when it was on, `resume` brings it back (also after a manageos restart).
   */
  maintenance(options: CommandOptions = {}): JobRecord {
    return this.submit("maintenance", {}, async (ctx) => {
      const production = this.#deps.production;
      let wasProducing = false;
      if (production !== undefined) {
        wasProducing = await isProducing(this.#deps.chain);
        ctx.progress({ message: "pausing production safely" });
        await production.safelyPause(ctx);
        ctx.log(wasProducing ? "production paused; resume brings it back through the safe resume" : "production was paused and stays paused");
      }
      await this.#setMaintenance(true, wasProducing || this.#resumeProductionAfter);
      ctx.progress({ current: 1, total: 2, message: "stopping the node" });
      const exit = await this.#deps.chain.stop();
      ctx.progress({ current: 2, total: 2, message: "stopped" });
      return { exit: exit ?? null, resumesProduction: this.#resumeProductionAfter };
    }, options);
  }

  /** Starts the node again and waits until it is synced, which reopens the proxy; brings back production maintenance paused. */
  resume(options: CommandOptions = {}): JobRecord {
    return this.submit("resume", {}, async (ctx) => {
      const resumeProduction = this.#resumeProductionAfter;
      await this.#setMaintenance(false);
      ctx.progress({ current: 0, total: 2, message: "starting the node" });
      if (this.#deps.chain.status().state !== "running") await this.#deps.chain.start();
      ctx.progress({ current: 1, total: 2, message: "waiting until synced" });
      const head = await this.waitSynced(ctx);
      ctx.progress({ current: 2, total: 2, message: "synced" });
      const production = resumeProduction ? await resumeProductionAfterJob({ chain: this.#deps.chain, production: this.#deps.production, logger: this.#logger }, ctx) : null;
      return { head, production };
    }, options);
  }

  /** Regenerates the node's configuration and restarts it; `safely` waits out our production round first. */
  reload(safely: boolean, options: CommandOptions = {}): JobRecord {
    return this.submit(safely ? "safely_reload" : "reload", {}, async (ctx) => {
      if (this.#maintenance) throw OperatorErrors.inMaintenance("reload");
      const production = safely ? this.#deps.production : undefined;
      let plan: { readonly resumeAfter: boolean } | undefined;
      if (production !== undefined) {
        ctx.progress({ message: "waiting until a restart cannot interrupt our round" });
        if (production.prepareRestart !== undefined) plan = await production.prepareRestart(ctx);
        else await production.waitSafeToRestart(ctx);
      }
      ctx.progress({ current: 0, total: 2, message: "restarting the node" });
      await this.#deps.chain.restart();
      ctx.progress({ current: 1, total: 2, message: "waiting until synced" });
      const head = await this.waitSynced(ctx);
      ctx.progress({ current: 2, total: 2, message: "synced" });
      // A producer that paused for the restart (policy wait-round) produces again, through the safe resume.
      const resumed = plan?.resumeAfter === true ? await production?.resumeAfterRestart?.(ctx, this.#opts.syncTimeout ?? 300_000) : undefined;
      return { head, ...(plan === undefined ? {} : { restart: plan }), ...(resumed === undefined ? {} : { resumed }) };
    }, options);
  }

  /** The backups service, or OPS_ERR_UNAVAILABLE. */
  backups(): BackupService {
    if (this.#deps.backups === undefined) throw OperatorErrors.unavailable("backup and restore");
    return this.#deps.backups;
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

  /** Everything the status API shows. */
  status(): Record<string, unknown> {
    const chain = this.#deps.chain.status();
    const gate: GateStatus = this.#deps.gate.status();
    const running = this.#deps.queue.running();
    return {
      app: this.#opts.app,
      version: MANAGEOS_VERSION,
      hostname: hostname(),
      state: chain.state,
      maintenance: this.#maintenance,
      synced: this.#synced,
      health: this.health(),
      node: {
        kind: chain.kind,
        pid: chain.pid ?? null,
        apiUrl: this.#deps.chain.apiUrl?.() ?? null,
        restarts: chain.restarts,
        crashLoop: chain.crashLoop,
        dirty: chain.dirty,
        uptimeSeconds: chain.uptimeMs === undefined ? null : chain.uptimeMs / 1000,
        lastExit: chain.lastExit ?? null,
      },
      head: chain.head
        ? {
            num: chain.head.headBlockNum,
            id: chain.head.headBlockId ?? null,
            time: chain.head.headBlockTime ?? null,
            lib: chain.head.libNum ?? null,
          }
        : null,
      chainId: chain.head?.chainId ?? null,
      serverVersion: chain.head?.serverVersion ?? null,
      production: this.#deps.production?.status() ?? null,
      proxy: gate,
      job: running ? { id: running.id, kind: running.kind, state: running.state, progress: running.progress } : null,
    };
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

  async #setMaintenance(on: boolean, resumeProduction = false): Promise<void> {
    this.#maintenance = on;
    this.#resumeProductionAfter = on && resumeProduction;
    this.#deps.gate.set("maintenance", on);
    await atomicWriteJson(this.#stateFile(), { maintenance: on, resumeProduction: this.#resumeProductionAfter } satisfies PersistedState);
  }

  #stateFile(): string {
    return join(this.#opts.stateDir, "operator.json");
  }
}
