import type { Logger } from "pino";
import type { Backupable, Chain } from "../chain/chain.js";
import { isBackupable } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import type { NodeStatus } from "../operator/node-watch.js";
import type { ProductionAfterJob } from "../operator/production-after-job.js";
import type { BackupService, ProductionService } from "../operator/services.js";
import type { ProxyGate } from "../proxy/gate.js";
import type { Store } from "../storage/store.js";
import type { BackupInfo, BackupResult, Backups, RestoreResult } from "./backups.js";
import { resolveChainId } from "./chain-id.js";
import { BackupErrors } from "./errors.js";
import { type FinalizerReport, type FinalizersLocation, finalizersOf } from "./finalizers.js";
import type { GcResult } from "./gc.js";
import { JobProduction } from "./job-production.js";
import { bytesProgress, reportFinalizer, startAfter, waitSynced } from "./node-steps.js";
import type { RetentionResult } from "./retention.js";
import { type SnapshotRestoreResult, SnapshotJobs, type SnapshotStart } from "./snapshot-jobs.js";
import type { StoredSnapshot } from "./snapshots.js";

/** nodeos files that only grow: an incremental backup reads only their new tail. */
export const NODEOS_APPEND_ONLY: readonly string[] = ["blocks/blocks.log", "blocks/blocks.index"];

/** Settings of the backup service (config `backup.*` and `bp.enabled`). */
export interface BackupServiceOptions {
  /** Tag of backups asked for without one. */
  readonly tag: string;
  readonly chainId?: string;
  readonly keepLast?: number;
  readonly maxAge?: number;
  readonly snapshotsKeepLast: number;
  /** Block-producer mode: production is paused before the node stops. */
  readonly bpMode: boolean;
}

/** What the service drives. */
export interface BackupServiceDeps {
  readonly backups: Backups;
  readonly store: Store;
  readonly chain: Chain;
  readonly gate: ProxyGate;
  /** Whether the node is in maintenance, and its sync. */
  readonly node: NodeStatus;
  readonly production?: ProductionService;
  readonly logger: Logger;
}

/** What a backup job answers. */
export interface BackupJobResult extends BackupInfo {
  readonly durationSeconds: number;
  readonly retention: RetentionResult | null;
  readonly syncedHead: number | null;
  /** null when production was not on before the job. */
  readonly production: ProductionAfterJob;
}

/** What a restore into a node's data dir did, with what it left of the node's finalizer safety data (null: no finalizers). */
export interface NodeRestoreResult extends RestoreResult {
  readonly finalizer: FinalizerReport | null;
}

/** What a restore job answers. */
export interface RestoreJobResult extends NodeRestoreResult {
  readonly chainIdFrom: string;
  readonly syncedHead: number | null;
  readonly production: ProductionAfterJob;
}

/** Backup, restore, listing and snapshots of a running node, as operator jobs (DESIGN.md section 5). */
export class NodeBackupService implements BackupService {
  readonly #opts: BackupServiceOptions;
  readonly #deps: BackupServiceDeps;
  readonly #logger: Logger;
  readonly #production: JobProduction;
  readonly #snapshots: SnapshotJobs;
  /** Head block of the last backup this process made, for `backup.everyBlocks`. */
  lastBackupHead: number | undefined;

  constructor(opts: BackupServiceOptions, deps: BackupServiceDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "backup-service" });
    const { chain, production } = deps;
    this.#production = new JobProduction(
      { bpMode: opts.bpMode },
      { chain, logger: this.#logger, ...(production === undefined ? {} : { production }) },
    );
    this.#snapshots = new SnapshotJobs(
      { snapshotsKeepLast: opts.snapshotsKeepLast, ...(opts.chainId === undefined ? {} : { chainId: opts.chainId }) },
      {
        backups: deps.backups,
        store: deps.store,
        chain,
        gate: deps.gate,
        node: deps.node,
        production: this.#production,
        logger: this.#logger,
      },
    );
  }

  /** Backs the data dir up: stop the node, back up, start it, wait until synced; the proxy stays closed meanwhile. */
  async backup(ctx: JobContext, params: { tag?: string }): Promise<BackupJobResult> {
    const chain = this.#backupable("backups");
    await this.#production.refuseWhenProducing("backup");
    const polled = chain.status().head;
    if (polled?.chainId === undefined || polled.headBlockId === undefined) throw BackupErrors.noHead("back up");
    const chainId = polled.chainId;
    let head: RecordedHead = { num: polled.headBlockNum, id: polled.headBlockId, serverVersion: polled.serverVersion ?? "unknown" };
    const wasRunning = chain.status().state === "running";
    const { gate } = this.#deps;
    gate.close("backup");
    let wasProducing = false;
    try {
      let result: BackupResult;
      let failure: unknown;
      try {
        wasProducing = await this.#production.pause(ctx);
        // Asked last thing before the stop: the poll's head can trail one a client already saw through the proxy.
        if (wasRunning) head = await headBeforeStop(chain, chainId, head, ctx);
        ctx.log(`backing up chain ${chainId} at head #${head.num}`);
        ctx.progress({ message: `stopping the node (head #${head.num})` });
        await chain.stop();
        if (await chain.isDataDirty()) throw BackupErrors.dirtyData(chain.dataDir);
        result = await this.#deps.backups.backup(
          {
            dataDir: chain.dataDir,
            chainId,
            head: { num: head.num, id: head.id },
            serverVersion: head.serverVersion,
            tag: params.tag ?? this.#opts.tag,
            paths: chain.backupPaths(),
            ...(chain.kind === "nodeos" ? { appendOnly: NODEOS_APPEND_ONLY } : {}),
            ...optionalFinalizers(await finalizersOf(chain)),
          },
          (p) => ctx.progress(bytesProgress("backup", p)),
        );
      } catch (error) {
        failure = error;
        throw error;
      } finally {
        // The node comes back whatever happened; a start failure only wins when the backup itself succeeded.
        if (wasRunning)
          await startAfter(this.#deps.chain, this.#logger, ctx, "backup").catch((error: unknown) => {
            if (failure === undefined) throw error;
          });
      }
      this.lastBackupHead = result.head.num;
      ctx.log(`backup ${result.name}: ${result.files} files, ${result.sizeBytes} bytes, ${result.newBytes} new`);
      const retention = await this.#retention(ctx, chainId);
      const synced = wasRunning ? await waitSynced(this.#deps.node, ctx) : undefined;
      gate.release("backup");
      const production = wasProducing ? await this.#production.resume(ctx) : null;
      ctx.progress({
        message: `backup ${result.name} done: ${result.files} files, ${result.sizeBytes} bytes, ${result.newBytes} new bytes`,
      });
      const { manifest: _manifest, ...info } = result;
      return { ...info, retention, syncedHead: synced?.headBlockNum ?? null, production };
    } catch (error) {
      // The node was started again on its data: production it had comes back too.
      if (wasProducing) await this.#production.resume(ctx);
      throw error;
    } finally {
      gate.release("backup");
    }
  }

  /** Restores a named backup or `latest` (falling back to older ones) and starts the node again. */
  async restore(ctx: JobContext, params: { backup: string }): Promise<RestoreJobResult> {
    const chain = this.#backupable("restores");
    await this.#production.refuseWhenProducing("restore");
    const resolved = await resolveChainId(this.#opts.chainId, chain, this.#deps.store);
    if (resolved.chainId === undefined) throw BackupErrors.noChainId("reason" in resolved ? resolved.reason : "unknown");
    const { chainId } = resolved;
    const from = "from" in resolved ? resolved.from : "config";
    // Before anything touches the node: a name that is not there fails the job with the node running and serving.
    await this.#deps.backups.lookup(chainId, params.backup);
    const { gate } = this.#deps;
    gate.close("restore");
    let wasProducing = false;
    try {
      ctx.log(`restoring ${params.backup} of chain ${chainId} (chain id from ${from})`);
      wasProducing = await this.#production.pause(ctx);
      ctx.progress({ message: "stopping the node" });
      await chain.stop();
      let result: NodeRestoreResult;
      try {
        result = await this.restoreInto(ctx, chain, chainId, params.backup);
      } catch (error) {
        // The data dir is untouched when a restore fails before its swap: bring the node back on it.
        if (!this.#deps.node.inMaintenance) {
          ctx.log(`restore failed: ${(error as Error).message}; starting the node on its previous data`, "error");
          await startAfter(this.#deps.chain, this.#logger, ctx, "restore").catch(() => undefined);
        }
        throw error;
      }
      if (this.#deps.node.inMaintenance) {
        ctx.log("the node is in maintenance: left stopped; resume it to start");
        return { ...result, chainIdFrom: from, syncedHead: null, production: null };
      }
      ctx.progress({ message: "starting the node" });
      await chain.start();
      const synced = await waitSynced(this.#deps.node, ctx);
      gate.release("restore");
      const production = wasProducing ? await this.#production.resume(ctx) : null;
      ctx.progress({ message: `restored ${result.name}; node synced at #${synced?.headBlockNum ?? "?"}` });
      return { ...result, chainIdFrom: from, syncedHead: synced?.headBlockNum ?? null, production };
    } catch (error) {
      if (wasProducing) await this.#production.resume(ctx);
      throw error;
    } finally {
      gate.release("restore");
    }
  }

  /**
   * Restores into the stopped node's data dir, reporting fallbacks in the job log. The node's finalizer safety data
   * stays its own, as it was: never rolled back, never taken from the backup (another node's, or an older history).
   */
  async restoreInto(ctx: JobContext, chain: Chain & Backupable, chainId: string, name: string): Promise<NodeRestoreResult> {
    const finalizers = await finalizersOf(chain);
    const result = await this.#deps.backups.restore({ dataDir: chain.dataDir, chainId, name, keep: finalizers?.keep ?? [] }, (p) =>
      ctx.progress(bytesProgress("restore", p)),
    );
    for (const skipped of result.fallbacks) {
      ctx.log(`backup ${skipped.name} unusable (${skipped.code}: ${skipped.message}); fell back to an older one`, "warn");
    }
    ctx.log(`restored ${result.name}: ${result.files} files, ${result.bytes} bytes, head #${result.head.num}`);
    return { ...result, finalizer: await reportFinalizer(this.#logger, ctx, finalizers) };
  }

  /** Backups of the node's chain (all chains when it is not known yet), newest first. */
  async list(params: { limit: number; offset: number }): Promise<BackupInfo[]> {
    const chainId = this.#opts.chainId ?? this.#deps.chain.status().head?.chainId;
    return this.#deps.backups.list({ ...(chainId === undefined ? {} : { chainId }), limit: params.limit, offset: params.offset });
  }

  /**
   * Lists (the default, a dry run) or, with `apply`, removes what no backup needs: orphan chunks of
   * interrupted backups, partial uploads and markers of runs that are over, all past the grace period.
   * The node is not touched.
   */
  async gc(ctx: JobContext, params: { apply: boolean }): Promise<GcResult> {
    ctx.progress({ message: params.apply ? "collecting the store's garbage" : "looking for the store's garbage (dry run)" });
    const result = await this.#deps.backups.gc({ dryRun: !params.apply });
    const summary =
      `${result.removedChunks} orphan chunks (${result.removedBytes} bytes), ${result.sweptPartials} partial uploads ` +
      `(${result.sweptPartialBytes} bytes), ${result.removedMarkers} left-over markers`;
    ctx.log(params.apply ? `gc removed ${summary}` : `gc would remove ${summary}; run it with --apply (apply=true) to remove them`);
    if (result.youngOrphans > 0) ctx.log(`${result.youngOrphans} unreferenced chunks younger than the grace period were kept`);
    ctx.progress({ message: params.apply ? `removed ${summary}` : `dry run: would remove ${summary}` });
    return result;
  }

  /** Asks nodeos for a snapshot, uploads it, deletes the local file and keeps the newest `snapshotsKeepLast`. */
  snapshot(ctx: JobContext): Promise<{ snapshot: StoredSnapshot; removed: string[] }> {
    return this.#snapshots.snapshot(ctx);
  }

  /** Downloads a stored snapshot, clears blocks and state, and starts the node from it. */
  snapshotRestore(ctx: JobContext, params: { snapshot: string }): Promise<SnapshotRestoreResult> {
    return this.#snapshots.snapshotRestore(ctx, params);
  }

  /** With the node stopped: downloads the snapshot, clears blocks and state, starts the node from it. */
  startFromSnapshot(ctx: JobContext, chain: Chain & Backupable, chainId: string, name: string): Promise<SnapshotStart> {
    return this.#snapshots.startFromSnapshot(ctx, chain, chainId, name);
  }

  #backupable(what: string): Chain & Backupable {
    const chain = this.#deps.chain;
    if (!isBackupable(chain)) throw BackupErrors.unsupported(what);
    return chain;
  }

  async #retention(ctx: JobContext, chainId: string): Promise<RetentionResult | null> {
    const { keepLast, maxAge } = this.#opts;
    if (keepLast === undefined && maxAge === undefined) return null;
    const result = await this.#deps.backups.applyRetention({
      chainId,
      ...(keepLast === undefined ? {} : { keepLast }),
      ...(maxAge === undefined ? {} : { maxAge }),
    });
    if (result.removed.length > 0) ctx.log(`retention removed ${result.removed.join(", ")}`);
    return result;
  }
}

/** The head a backup records, and the nodeos version that reported it. */
interface RecordedHead {
  readonly num: number;
  readonly id: string;
  readonly serverVersion: string;
}

// The head the node reports now when it answers for the chain checked and is not behind the poll; else the poll's.
async function headBeforeStop(chain: Backupable, chainId: string, polled: RecordedHead, ctx: JobContext): Promise<RecordedHead> {
  if (chain.headNow === undefined) return polled;
  const now = await chain.headNow().catch(() => undefined);
  if (now?.headBlockId === undefined || now.chainId !== chainId || !(now.headBlockNum >= polled.num)) {
    const answer = now === undefined ? "no answer" : `head #${now.headBlockNum} of chain ${now.chainId ?? "unknown"}`;
    ctx.log(`get_info just before the stop: ${answer}; recording the last poll's head #${polled.num}`, "warn");
    return polled;
  }
  return { num: now.headBlockNum, id: now.headBlockId, serverVersion: now.serverVersion ?? polled.serverVersion };
}

function optionalFinalizers(finalizers: FinalizersLocation | undefined): { finalizers?: FinalizersLocation } {
  return finalizers === undefined ? {} : { finalizers };
}
