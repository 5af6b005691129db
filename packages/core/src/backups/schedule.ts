import type { Logger } from "pino";
import type { Chain, HeadInfo } from "../chain/chain.js";
import { isFinished } from "../jobs/job.js";
import type { JobSubmitter } from "../jobs/submitter.js";
import type { NodeStatus } from "../operator/node-watch.js";
import type { ProductionService } from "../operator/services.js";
import { listBackupRefs } from "./catalog.js";
import { onTheHook } from "./node-wait.js";
import type { Store } from "../storage/store.js";
import type { NodeBackupService } from "./service.js";

/** When scheduled backups, snapshots and gcs run (config `backup.every`, `everyBlocks`, `snapshotEvery`, `gcEvery`). */
export interface ScheduleOptions {
  readonly every?: number;
  readonly everyBlocks?: number;
  readonly snapshotEvery?: number;
  /** Milliseconds between gcs of the store (applied, not dry runs). */
  readonly gcEvery?: number;
  /** Tag of scheduled backups. */
  readonly tag: string;
  readonly chainId?: string;
}

/** What the schedule drives. */
export interface ScheduleDeps {
  readonly service: NodeBackupService;
  /** Where the backups are, for the head of the newest one. */
  readonly store: Store;
  readonly chain: Chain;
  /** Where the scheduled jobs are queued. */
  readonly jobs: JobSubmitter;
  /** Whether the node is in maintenance, and ready. */
  readonly node: Pick<NodeStatus, "inMaintenance" | "health">;
  readonly production?: ProductionService;
  readonly logger: Logger;
}

/** What the schedule submits. */
export type ScheduledKind = "backup" | "snapshot" | "gc";

/**
 * Submits backups, snapshots and gcs as queued jobs on a timer (backups also every N blocks). A run is
 * skipped (and retried at the next tick) while we are on the hook to produce with production not paused,
 * or while a job of the same kind is already queued or running; a backup or snapshot also in maintenance
 * and while the node is not synced (a gc does not touch the node).
 */
export class BackupSchedule {
  readonly #opts: ScheduleOptions;
  readonly #deps: ScheduleDeps;
  readonly #logger: Logger;
  readonly #timers: NodeJS.Timeout[] = [];
  #baseline: number | undefined;
  #loadingBaseline = false;

  constructor(opts: ScheduleOptions, deps: ScheduleDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "backup-schedule" });
  }

  /** Starts the timers and the block watch. */
  start(): void {
    const { every, everyBlocks, snapshotEvery, gcEvery } = this.#opts;
    if (every !== undefined) this.#timers.push(setInterval(() => this.trigger("backup", `every ${every} ms`), every).unref());
    if (snapshotEvery !== undefined) {
      this.#timers.push(setInterval(() => this.trigger("snapshot", `every ${snapshotEvery} ms`), snapshotEvery).unref());
    }
    if (gcEvery !== undefined) this.#timers.push(setInterval(() => this.trigger("gc", `every ${gcEvery} ms`), gcEvery).unref());
    if (everyBlocks !== undefined) this.#deps.chain.on("head", this.#onHead);
    if (this.#timers.length > 0 || everyBlocks !== undefined)
      this.#logger.info({ every, everyBlocks, snapshotEvery, gcEvery }, "backup schedule on");
  }

  /** Stops the timers and the block watch. */
  close(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    this.#deps.chain.off("head", this.#onHead);
  }

  /** Submits a scheduled job now unless a skip condition holds; returns the job id or why it was skipped. */
  trigger(kind: ScheduledKind, why: string): { job: string } | { skipped: string } {
    const skipped = this.#skipReason(kind);
    if (skipped !== undefined) {
      this.#logger.debug({ kind, why, skipped }, "scheduled job skipped");
      return { skipped };
    }
    const { service } = this.#deps;
    try {
      const { jobs } = this.#deps;
      const job =
        kind === "backup"
          ? jobs.submit("backup", { tag: this.#opts.tag, scheduled: why }, (ctx) => service.backup(ctx, { tag: this.#opts.tag }), {
              queue: true,
            })
          : kind === "gc"
            ? jobs.submit("gc", { apply: true, scheduled: why }, (ctx) => service.gc(ctx, { apply: true }), { queue: true })
            : jobs.submit("snapshot", { scheduled: why }, (ctx) => service.snapshot(ctx), { queue: true });
      this.#logger.info({ kind, why, job: job.id }, "scheduled job queued");
      return { job: job.id };
    } catch (error) {
      this.#logger.warn({ err: error, kind }, "cannot queue the scheduled job");
      return { skipped: (error as Error).message };
    }
  }

  #skipReason(kind: string): string | undefined {
    const { jobs, node } = this.#deps;
    const producing = onTheHook(this.#deps.production);
    // The job asks nodeos whether production is paused before it stops anything; here the last answer will do.
    if (producing !== undefined && this.#deps.production?.status()["paused"] !== true) return `on the hook to produce (${producing})`;
    // A job pauses production: one now would cancel the resume that follows a start of nodeos.
    const start = this.#deps.production?.status()["start"] as { state?: unknown } | null | undefined;
    if (start?.state === "waiting-sync" || start?.state === "watching") return `production resumes after the start first (${start.state})`;
    if (kind !== "gc") {
      if (node.inMaintenance) return "maintenance";
      const health = node.health();
      if (!health.ready) return health.reasons.join("; ");
    }
    const busy = jobs.list(20).find((job) => job.kind === kind && !isFinished(job.state));
    if (busy !== undefined) return `${kind} job ${busy.id} is ${busy.state}`;
    return undefined;
  }

  readonly #onHead = (head: HeadInfo): void => {
    const everyBlocks = this.#opts.everyBlocks;
    if (everyBlocks === undefined) return;
    const made = this.#deps.service.lastBackupHead;
    const last = made === undefined ? this.#baseline : Math.max(made, this.#baseline ?? 0);
    if (last === undefined) {
      void this.#loadBaseline(head);
      return;
    }
    if (head.headBlockNum - last < everyBlocks) return;
    const result = this.trigger("backup", `${head.headBlockNum - last} blocks since #${last}`);
    // One submission per threshold crossing; the backup itself moves lastBackupHead on.
    if ("job" in result) this.#baseline = head.headBlockNum;
  };

  // The head of the newest stored backup, so a restart of manageos keeps the rhythm; 0 when none.
  async #loadBaseline(head: HeadInfo): Promise<void> {
    if (this.#loadingBaseline) return;
    this.#loadingBaseline = true;
    try {
      const chainId = this.#opts.chainId ?? head.chainId;
      const refs = chainId === undefined ? [] : await listBackupRefs(this.#deps.store, chainId);
      this.#baseline = refs[0]?.headNum ?? 0;
    } catch (error) {
      this.#logger.warn({ err: error }, "cannot read the newest backup; counting blocks from now");
      this.#baseline = head.headBlockNum;
    } finally {
      this.#loadingBaseline = false;
    }
  }
}
