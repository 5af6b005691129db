import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Backupable, Chain, DirtyEvent } from "../chain/chain.js";
import { isManageosError } from "../errors/manageos-error.js";
import type { JobContext } from "../jobs/job.js";
import type { JobSubmitter } from "../jobs/submitter.js";
import type { NodeStatus } from "../operator/node-watch.js";
import type { ProxyGate } from "../proxy/gate.js";
import type { Store } from "../storage/store.js";
import { listBackupRefs } from "./catalog.js";
import { resolveChainId } from "./chain-id.js";
import type { DirtyStep } from "./dirty-steps.js";
import { BackupErrors } from "./errors.js";
import type { FinalizerReport } from "./finalizers.js";
import type { RecoveryMetrics } from "./metrics.js";
import { waitHeadAdvancing } from "./node-wait.js";
import type { NodeBackupService } from "./service.js";

/** Settings of boot and dirty recovery (config `backup.bootstrap`, `backup.dirtyPolicy`, `backup.chainId`). */
export interface RecoveryOptions {
  readonly bootstrap: "backup" | "snapshot" | "genesis";
  readonly dirtyPolicy: readonly DirtyStep[];
  readonly chainId?: string;
  /** How long a recovered node may take to show its head advancing, default 5 min. */
  readonly aliveTimeout?: number;
}

/** What recovery drives. */
export interface RecoveryDeps {
  readonly chain: Chain & Backupable;
  readonly service: NodeBackupService;
  readonly store: Store;
  readonly gate: ProxyGate;
  /** Where the bootstrap and recovery jobs are queued. */
  readonly jobs: JobSubmitter;
  /** Whether the node is in maintenance (a dirty node is then left for a person). */
  readonly node: Pick<NodeStatus, "inMaintenance">;
  readonly logger: Logger;
  readonly metrics?: RecoveryMetrics;
}

/** How the node's first start goes. */
export type BootPlan = "start" | "bootstrap" | "recover";

/**
 * Boot and dirty recovery, without a person: an empty `blocks/` is filled from the latest backup
 * (or snapshot), dirty data before a start or a `dirty` event runs the dirty policy, one attempt
 * per step, as a queued `recover` job. The proxy reopens by itself once the node is synced.
 */
export class Recovery {
  readonly #opts: RecoveryOptions;
  readonly #deps: RecoveryDeps;
  readonly #logger: Logger;
  #pending = false;
  #closed = false;

  constructor(opts: RecoveryOptions, deps: RecoveryDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "recovery" });
    // From the start, not at boot: a manageos started in maintenance never boots, yet its node runs after `resume`.
    deps.chain.on("dirty", this.#onDirty);
  }

  /** True while a recovery job is queued or running. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Starts the node the first time: restores an empty data dir, recovers a dirty one, or just starts it. */
  async boot(): Promise<void> {
    const plan = await this.plan();
    if (plan === "start") {
      await this.#deps.chain.start();
      return;
    }
    if (plan === "recover") {
      this.#logger.warn({ dataDir: this.#deps.chain.dataDir }, "the node's data is dirty at boot: recovering");
      await this.#submitRecovery({ source: "offline", dataDir: this.#deps.chain.dataDir, detail: "dirty flag set at boot" }, true);
      return;
    }
    const job = this.#deps.jobs.submit("bootstrap", { bootstrap: this.#opts.bootstrap }, (ctx) => this.#bootstrap(ctx), { queue: true });
    await this.#deps.jobs.wait(job.id);
  }

  /** What the first start needs, from the data on disk. */
  async plan(): Promise<BootPlan> {
    const { chain } = this.#deps;
    if (this.#opts.bootstrap !== "genesis" && (await isEmptyDir(join(chain.dataDir, "blocks")))) return "bootstrap";
    if (await chain.isDataDirty()) return "recover";
    return "start";
  }

  /** Stops reacting to dirty events. */
  close(): void {
    this.#closed = true;
    this.#deps.chain.off("dirty", this.#onDirty);
  }

  readonly #onDirty = (event: DirtyEvent): void => {
    if (this.#closed || this.#pending) return;
    if (this.#deps.node.inMaintenance) {
      this.#logger.warn({ source: event.source }, "the node's data is dirty; in maintenance, so left for a person");
      return;
    }
    this.#logger.warn({ source: event.source, detail: event.detail }, "the node's data is dirty: queueing recovery");
    void this.#submitRecovery(event, false);
  };

  // Queues a `recover` job (behind any running one); with `wait`, resolves when it has ended.
  async #submitRecovery(event: DirtyEvent, wait: boolean): Promise<void> {
    this.#pending = true;
    try {
      const { jobs } = this.#deps;
      const job = jobs.submit(
        "recover",
        { source: event.source, detail: event.detail, policy: [...this.#opts.dirtyPolicy] },
        (ctx) => this.#recover(ctx, event),
        { queue: true },
      );
      if (wait) await jobs.wait(job.id);
    } catch (error) {
      this.#pending = false;
      this.#logger.warn({ err: error }, "cannot queue the recovery job");
    }
  }

  // The dirty policy, one attempt per step.
  async #recover(ctx: JobContext, event: DirtyEvent): Promise<unknown> {
    const { chain, gate } = this.#deps;
    gate.close("restore");
    try {
      ctx.log(`dirty data reported (${event.source}: ${event.detail})`, "warn");
      await chain.stop();
      if (!(await chain.isDataDirty())) {
        ctx.log("the data is not dirty any more; starting the node");
        await chain.start();
        return { recovered: true, step: null };
      }
      const tried: { step: DirtyStep; error: string }[] = [];
      for (const step of this.#opts.dirtyPolicy) {
        ctx.progress({ message: `recovery step ${step}` });
        ctx.log(`recovery step ${step}`, "warn");
        this.#logger.warn({ step }, "dirty recovery step");
        if (step === "fail") {
          this.#deps.metrics?.recoveries.inc({ step, result: "failure" });
          ctx.log("dirty policy says fail: the node stays stopped until a person acts", "error");
          this.#logger.error({ tried }, "dirty node not recovered: the node stays stopped until a person acts");
          throw BackupErrors.recoveryFailed(describe(tried), { details: { tried } });
        }
        try {
          const { head, finalizer } = await this.#step(ctx, step);
          this.#deps.metrics?.recoveries.inc({ step, result: "success" });
          ctx.log(`recovery step ${step} succeeded: the node runs, head #${head}`, "warn");
          this.#logger.warn({ step, head }, "dirty node recovered");
          ctx.progress({ message: `recovered by ${step}; the proxy reopens once synced` });
          return { recovered: true, step, head, tried, ...(finalizer === undefined ? {} : { finalizer }) };
        } catch (error) {
          ctx.signal.throwIfAborted();
          const message = isManageosError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
          tried.push({ step, error: message });
          this.#deps.metrics?.recoveries.inc({ step, result: "failure" });
          ctx.log(`recovery step ${step} failed: ${message}`, "warn");
          this.#logger.warn({ step, err: error }, "dirty recovery step failed");
          await chain.stop().catch(() => undefined);
        }
      }
      this.#logger.error({ tried }, "dirty node not recovered: every step of the dirty policy failed");
      throw BackupErrors.recoveryFailed(describe(tried), { details: { tried } });
    } finally {
      gate.release("restore");
      this.#pending = false;
    }
  }

  // One step; resolves with the head block once the node runs and its head advances (and, after a restore, what it
  // left of the node's finalizer safety data).
  async #step(ctx: JobContext, step: "restore-latest" | "replay"): Promise<{ head: number; finalizer?: FinalizerReport | null }> {
    const { chain, service } = this.#deps;
    let finalizer: FinalizerReport | null | undefined;
    if (step === "restore-latest") {
      const chainId = await this.#chainId(ctx);
      if (chainId === undefined) throw BackupErrors.noChainId("the node's chain is unknown");
      ({ finalizer } = await service.restoreInto(ctx, chain, chainId, "latest"));
      await chain.start();
    } else {
      await chain.start({ replay: "hard" });
    }
    const head = await waitHeadAdvancing(chain, ctx.signal, this.#opts.aliveTimeout ?? 300_000);
    return { head: head.headBlockNum, ...(finalizer === undefined ? {} : { finalizer }) };
  }

  // An empty blocks/: the latest snapshot (bootstrap snapshot), else the latest backup, else genesis.
  async #bootstrap(ctx: JobContext): Promise<unknown> {
    const { chain, gate, service, store } = this.#deps;
    gate.close("restore");
    try {
      const chainId = await this.#chainId(ctx);
      if (chainId !== undefined && this.#opts.bootstrap === "snapshot") {
        try {
          const { snapshot, finalizer } = await service.startFromSnapshot(ctx, chain, chainId, "latest");
          ctx.log(`empty data dir: started from snapshot ${snapshot.name}`);
          return { from: "snapshot", name: snapshot.name, finalizer };
        } catch (error) {
          if (!isManageosError(error) || error.code !== BackupErrors.snapshotNotFound.code) throw error;
          ctx.log(`no snapshot for chain ${chainId}; trying backups`, "warn");
        }
      }
      if (chainId !== undefined && (await listBackupRefs(store, chainId)).length > 0) {
        const restored = await service.restoreInto(ctx, chain, chainId, "latest");
        await chain.start();
        ctx.log(`empty data dir: restored backup ${restored.name}`);
        return { from: "backup", name: restored.name, head: restored.head.num, finalizer: restored.finalizer };
      }
      ctx.log(
        chainId === undefined
          ? "empty data dir and no chain to restore: starting from genesis"
          : `no backup for chain ${chainId}: starting from genesis`,
      );
      await chain.start();
      return { from: "genesis" };
    } finally {
      gate.release("restore");
    }
  }

  async #chainId(ctx: JobContext): Promise<string | undefined> {
    const resolved = await resolveChainId(this.#opts.chainId, this.#deps.chain, this.#deps.store);
    if (resolved.chainId === undefined) {
      ctx.log(`no chain id: ${"reason" in resolved ? resolved.reason : "unknown"}`, "warn");
      return undefined;
    }
    ctx.log(`chain ${resolved.chainId} (from ${"from" in resolved ? resolved.from : "config"})`);
    return resolved.chainId;
  }
}

function describe(tried: readonly { step: DirtyStep; error: string }[]): string {
  return tried.length === 0 ? "no step was tried" : tried.map((t) => `${t.step}: ${t.error}`).join("; ");
}

// True when the directory is missing or holds nothing.
async function isEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
}
