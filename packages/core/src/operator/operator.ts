import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Chain, HeadInfo } from "../chain/chain.js";
import type { JobContext, JobRecord, JobRunner } from "../jobs/job.js";
import type { JobQueue } from "../jobs/queue.js";
import type { GateStatus, ProxyGate } from "../proxy/gate.js";
import { MANAGEOS_VERSION } from "../version.js";
import { OperatorErrors } from "./errors.js";
import type { OperatorMetrics } from "./metrics.js";
import { type Health, NodeWatch } from "./node-watch.js";
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
  /** The node's readiness and maintenance state, when other parts need it too (backups); else the operator's own. */
  readonly node?: NodeWatch;
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

/** Owns the node, the proxy gate and the command queue; every mutating command is a job. */
export class Operator {
  readonly #opts: OperatorOptions;
  readonly #deps: OperatorDeps;
  readonly #logger: Logger;
  readonly #node: NodeWatch;

  constructor(opts: OperatorOptions, deps: OperatorDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "operator" });
    this.#node = deps.node ?? new NodeWatch(opts, deps);
  }

  get chain(): Chain {
    return this.#deps.chain;
  }

  get queue(): JobQueue {
    return this.#deps.queue;
  }

  get inMaintenance(): boolean {
    return this.#node.inMaintenance;
  }

  /** Loads state and jobs, watches the node, and starts it unless it was left in maintenance. */
  async start(): Promise<void> {
    await this.#node.start();
    await this.#deps.queue.load();
    const { chain } = this.#deps;
    if (this.#node.inMaintenance) {
      this.#logger.warn("node left in maintenance: not starting it; resume to start");
      return;
    }
    if (this.#deps.recovery !== undefined) await this.#deps.recovery.boot();
    else await chain.start();
  }

  /** Closes the gate, lets the running job end, stops the node; resolves with whether the node had to be killed. */
  async shutdown(): Promise<{ killed: boolean }> {
    this.#node.markStopping();
    this.#deps.recovery?.close?.();
    this.#deps.gate.close("shutdown");
    const running = this.#deps.queue.running();
    if (running !== undefined) {
      this.#logger.warn({ job: running.id, kind: running.kind }, "cancelling the running job to shut down");
      this.#deps.queue.cancel(running.id);
    }
    await this.#deps.queue.close();
    this.#node.close();
    const { chain } = this.#deps;
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
    return this.submit(
      "maintenance",
      {},
      async (ctx) => {
        const production = this.#deps.production;
        let wasProducing = false;
        if (production !== undefined) {
          wasProducing = await isProducing(this.#deps.chain);
          ctx.progress({ message: "pausing production safely" });
          await production.safelyPause(ctx);
          ctx.log(
            wasProducing ? "production paused; resume brings it back through the safe resume" : "production was paused and stays paused",
          );
        }
        await this.#node.setMaintenance(true, wasProducing || this.#node.resumesProduction);
        ctx.progress({ current: 1, total: 2, message: "stopping the node" });
        const exit = await this.#deps.chain.stop();
        ctx.progress({ current: 2, total: 2, message: "stopped" });
        return { exit: exit ?? null, resumesProduction: this.#node.resumesProduction };
      },
      options,
    );
  }

  /** Starts the node again and waits until it is synced, which reopens the proxy; brings back production maintenance paused. */
  resume(options: CommandOptions = {}): JobRecord {
    return this.submit(
      "resume",
      {},
      async (ctx) => {
        const resumeProduction = this.#node.resumesProduction;
        await this.#node.setMaintenance(false);
        ctx.progress({ current: 0, total: 2, message: "starting the node" });
        if (this.#deps.chain.status().state !== "running") await this.#deps.chain.start();
        ctx.progress({ current: 1, total: 2, message: "waiting until synced" });
        const head = await this.waitSynced(ctx);
        ctx.progress({ current: 2, total: 2, message: "synced" });
        const production = resumeProduction
          ? await resumeProductionAfterJob({ chain: this.#deps.chain, production: this.#deps.production, logger: this.#logger }, ctx)
          : null;
        return { head, production };
      },
      options,
    );
  }

  /** Regenerates the node's configuration and restarts it; `safely` waits out our production round first. */
  reload(safely: boolean, options: CommandOptions = {}): JobRecord {
    return this.submit(
      safely ? "safely_reload" : "reload",
      {},
      async (ctx) => {
        if (this.#node.inMaintenance) throw OperatorErrors.inMaintenance("reload");
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
        const resumed =
          plan?.resumeAfter === true ? await production?.resumeAfterRestart?.(ctx, this.#opts.syncTimeout ?? 300_000) : undefined;
        return { head, ...(plan === undefined ? {} : { restart: plan }), ...(resumed === undefined ? {} : { resumed }) };
      },
      options,
    );
  }

  /** The backups service, or OPS_ERR_UNAVAILABLE. */
  backups(): BackupService {
    if (this.#deps.backups === undefined) throw OperatorErrors.unavailable("backup and restore");
    return this.#deps.backups;
  }

  /** Resolves once the node is synced; fails after the sync timeout or when the job is cancelled. */
  waitSynced(ctx: Pick<JobContext, "signal">, timeout?: number): Promise<HeadInfo | undefined> {
    return this.#node.waitSynced(ctx, timeout);
  }

  /** Whether the node is ready to serve, and why not. */
  health(): Health {
    return this.#node.health();
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
      maintenance: this.#node.inMaintenance,
      synced: this.#node.synced,
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
}
