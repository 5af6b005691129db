import { mkdir, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { Logger } from "pino";
import type { Backupable, Chain, HeadInfo } from "../chain/chain.js";
import { isBackupable, isProducer, isSnapshotable } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import type { NodeStatus } from "../operator/node-watch.js";
import { isProducing, type ProductionAfterJob, resumeProductionAfterJob } from "../operator/production-after-job.js";
import type { BackupService, ProductionService } from "../operator/services.js";
import type { ProxyGate } from "../proxy/gate.js";
import type { Store } from "../storage/store.js";
import type { BackupInfo, BackupResult, Backups, RestoreResult } from "./backups.js";
import { resolveChainId } from "./chain-id.js";
import { BackupErrors } from "./errors.js";
import { type FinalizerReport, type FinalizersLocation, finalizerReport, finalizersOf, removeSparing, SAFETY_FILE } from "./finalizers.js";
import type { GcResult } from "./gc.js";
import { onTheHook } from "./node-wait.js";
import type { BackupProgress } from "./progress.js";
import type { RetentionResult } from "./retention.js";
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

/** What a start from a snapshot did, with what it left of the node's finalizer safety data (null: no finalizers). */
export interface SnapshotStart {
  readonly snapshot: StoredSnapshot;
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
  // Errors of snapshot restores that failed before touching the data dir.
  readonly #dataUntouched = new WeakSet<object>();
  /** Head block of the last backup this process made, for `backup.everyBlocks`. */
  lastBackupHead: number | undefined;

  constructor(opts: BackupServiceOptions, deps: BackupServiceDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "backup-service" });
  }

  /** The store backups go to. */
  get store(): Store {
    return this.#deps.store;
  }

  /** The engine behind the service. */
  get engine(): Backups {
    return this.#deps.backups;
  }

  /** Backs the data dir up: stop the node, back up, start it, wait until synced; the proxy stays closed meanwhile. */
  async backup(ctx: JobContext, params: { tag?: string }): Promise<BackupJobResult> {
    const chain = this.#backupable("backups");
    await this.#refuseWhenProducing("backup");
    const head = chain.status().head;
    if (head?.chainId === undefined || head.headBlockId === undefined) throw BackupErrors.noHead("back up");
    const chainId = head.chainId;
    const wasRunning = chain.status().state === "running";
    const { gate } = this.#deps;
    gate.close("backup");
    let wasProducing = false;
    try {
      let result: BackupResult;
      let failure: unknown;
      try {
        wasProducing = await this.#pauseProduction(ctx);
        ctx.log(`backing up chain ${chainId} at head #${head.headBlockNum}`);
        ctx.progress({ message: `stopping the node (head #${head.headBlockNum})` });
        await chain.stop();
        if (await chain.isDataDirty()) throw BackupErrors.dirtyData(chain.dataDir);
        result = await this.#deps.backups.backup(
          {
            dataDir: chain.dataDir,
            chainId,
            head: { num: head.headBlockNum, id: head.headBlockId },
            serverVersion: head.serverVersion ?? "unknown",
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
        if (wasRunning) await this.#startAfter(ctx, "backup").catch((error: unknown) => {
          if (failure === undefined) throw error;
        });
      }
      this.lastBackupHead = result.head.num;
      ctx.log(`backup ${result.name}: ${result.files} files, ${result.sizeBytes} bytes, ${result.newBytes} new`);
      const retention = await this.#retention(ctx, chainId);
      const synced = wasRunning ? await this.#waitSynced(ctx) : undefined;
      gate.release("backup");
      const production = wasProducing ? await this.#resumeProduction(ctx) : null;
      ctx.progress({ message: `backup ${result.name} done: ${result.files} files, ${result.sizeBytes} bytes, ${result.newBytes} new bytes` });
      const { manifest: _manifest, ...info } = result;
      return { ...info, retention, syncedHead: synced?.headBlockNum ?? null, production };
    } catch (error) {
      // The node was started again on its data: production it had comes back too.
      if (wasProducing) await this.#resumeProduction(ctx);
      throw error;
    } finally {
      gate.release("backup");
    }
  }

  /** Restores a named backup or `latest` (falling back to older ones) and starts the node again. */
  async restore(ctx: JobContext, params: { backup: string }): Promise<RestoreJobResult> {
    const chain = this.#backupable("restores");
    await this.#refuseWhenProducing("restore");
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
      wasProducing = await this.#pauseProduction(ctx);
      ctx.progress({ message: "stopping the node" });
      await chain.stop();
      let result: NodeRestoreResult;
      try {
        result = await this.restoreInto(ctx, chain, chainId, params.backup);
      } catch (error) {
        // The data dir is untouched when a restore fails before its swap: bring the node back on it.
        if (!this.#deps.node.inMaintenance) {
          ctx.log(`restore failed: ${(error as Error).message}; starting the node on its previous data`, "error");
          await this.#startAfter(ctx, "restore").catch(() => undefined);
        }
        throw error;
      }
      if (this.#deps.node.inMaintenance) {
        ctx.log("the node is in maintenance: left stopped; resume it to start");
        return { ...result, chainIdFrom: from, syncedHead: null, production: null };
      }
      ctx.progress({ message: "starting the node" });
      await chain.start();
      const synced = await this.#waitSynced(ctx);
      gate.release("restore");
      const production = wasProducing ? await this.#resumeProduction(ctx) : null;
      ctx.progress({ message: `restored ${result.name}; node synced at #${synced?.headBlockNum ?? "?"}` });
      return { ...result, chainIdFrom: from, syncedHead: synced?.headBlockNum ?? null, production };
    } catch (error) {
      if (wasProducing) await this.#resumeProduction(ctx);
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
    return { ...result, finalizer: await this.#reportFinalizer(ctx, finalizers) };
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
  async snapshot(ctx: JobContext): Promise<{ snapshot: StoredSnapshot; removed: string[] }> {
    const chain = this.#deps.chain;
    if (!isSnapshotable(chain)) throw BackupErrors.unsupported("snapshots");
    await this.#refuseWhenProducing("snapshot");
    const chainId = chain.status().head?.chainId ?? this.#opts.chainId;
    if (chainId === undefined) throw BackupErrors.noHead("take a snapshot");
    ctx.progress({ current: 0, total: 3, unit: "steps", message: "creating the snapshot" });
    const info = await chain.createSnapshot();
    const path = isAbsolute(info.snapshotName) || !isBackupable(chain) ? info.snapshotName : join(chain.dataDir, "snapshots", info.snapshotName);
    ctx.log(`snapshot at #${info.headBlockNum} written to ${path}`);
    ctx.progress({ current: 1, total: 3, message: "uploading the snapshot" });
    let stored: StoredSnapshot;
    try {
      stored = await this.#deps.backups.putSnapshot({ chainId, head: { num: info.headBlockNum, id: info.headBlockId }, path });
    } finally {
      await rm(path, { force: true });
    }
    ctx.progress({ current: 2, total: 3, message: "applying snapshot retention" });
    const removed = await this.#deps.backups.applySnapshotRetention({ chainId, keepLast: this.#opts.snapshotsKeepLast });
    if (removed.length > 0) ctx.log(`snapshot retention removed ${removed.join(", ")}`);
    ctx.progress({ current: 3, total: 3, message: `snapshot ${stored.name} stored (${stored.size} bytes)` });
    return { snapshot: stored, removed };
  }

  /** Downloads a stored snapshot, clears blocks and state, and starts the node from it. */
  async snapshotRestore(
    ctx: JobContext,
    params: { snapshot: string },
  ): Promise<{ snapshot: StoredSnapshot; finalizer: FinalizerReport | null; syncedHead: number | null; production: ProductionAfterJob }> {
    const chain = this.#backupable("snapshot restores");
    if (!isSnapshotable(chain)) throw BackupErrors.unsupported("snapshots");
    await this.#refuseWhenProducing("snapshot_restore");
    const resolved = await resolveChainId(this.#opts.chainId, chain, this.#deps.store);
    if (resolved.chainId === undefined) throw BackupErrors.noChainId("reason" in resolved ? resolved.reason : "unknown");
    // Looked up before the node stops; the name is pinned so `latest` cannot move under the download.
    const found = await this.#deps.backups.findSnapshot({ chainId: resolved.chainId, name: params.snapshot });
    const { gate } = this.#deps;
    gate.close("restore");
    let wasProducing = false;
    try {
      wasProducing = await this.#pauseProduction(ctx);
      ctx.progress({ current: 0, total: 4, unit: "steps", message: "stopping the node" });
      await chain.stop();
      let started: SnapshotStart;
      try {
        started = await this.startFromSnapshot(ctx, chain, resolved.chainId, found.name);
      } catch (error) {
        await this.#startAfterFailedSnapshotRestore(ctx, error);
        throw error;
      }
      ctx.progress({ current: 3, total: 4, message: "waiting until synced" });
      const synced = await this.#waitSynced(ctx);
      // nodeos has loaded it by now.
      await rm(join(chain.dataDir, "snapshots", `restore-${ctx.id}.bin`), { force: true });
      gate.release("restore");
      const production = wasProducing ? await this.#resumeProduction(ctx) : null;
      ctx.progress({ current: 4, total: 4, message: `started from snapshot ${started.snapshot.name}` });
      return { ...started, syncedHead: synced?.headBlockNum ?? null, production };
    } catch (error) {
      if (wasProducing) await this.#resumeProduction(ctx);
      throw error;
    } finally {
      gate.release("restore");
    }
  }

  /**
   * With the node stopped: downloads the snapshot, clears blocks and state, starts the node from it. The node's
   * finalizer safety data is left as it was, also when it lies under blocks or state.
   */
  async startFromSnapshot(ctx: JobContext, chain: Chain & Backupable, chainId: string, name: string): Promise<SnapshotStart> {
    const dir = join(chain.dataDir, "snapshots");
    await mkdir(dir, { recursive: true });
    const destination = join(dir, `restore-${ctx.id}.bin`);
    ctx.progress({ current: 1, total: 4, unit: "steps", message: `downloading snapshot ${name}` });
    let snapshot: StoredSnapshot;
    try {
      snapshot = await this.#deps.backups.getSnapshot({ chainId, name, destination });
    } catch (error) {
      if (typeof error === "object" && error !== null) this.#dataUntouched.add(error);
      throw error;
    }
    ctx.log(`downloaded snapshot ${snapshot.name} (${snapshot.size} bytes); clearing blocks and state`);
    const finalizers = await finalizersOf(chain);
    for (const path of chain.backupPaths()) await removeSparing(chain.dataDir, path, finalizers?.keep ?? []);
    const finalizer = await this.#reportFinalizer(ctx, finalizers);
    ctx.progress({ current: 2, total: 4, message: `starting from snapshot ${snapshot.name}` });
    try {
      await chain.start({ snapshot: destination });
    } catch (error) {
      await rm(destination, { force: true });
      throw error;
    }
    return { snapshot, finalizer };
  }

  // Says what a restore left of the node's finalizer safety data: kept as it was, or absent (a new key is needed).
  async #reportFinalizer(ctx: JobContext, location: FinalizersLocation | undefined): Promise<FinalizerReport | null> {
    if (location === undefined) return null;
    const report = await finalizerReport(location);
    const path = join(report.dir, SAFETY_FILE);
    if (report.safetyFile === "kept") {
      ctx.log(`the node's finalizer safety file ${path} is kept as it was (a backup never restores it)`);
    } else {
      const message = `no finalizer safety file at ${path} (none is ever restored): if this node has a finalizer key, ${report.action}`;
      ctx.log(message, "warn");
      this.#logger.warn({ dir: report.dir, action: report.action }, message);
    }
    return report;
  }

  // A snapshot restore that failed before blocks and state were cleared brings the node back on them (not in maintenance).
  async #startAfterFailedSnapshotRestore(ctx: JobContext, error: unknown): Promise<void> {
    if (typeof error !== "object" || error === null || !this.#dataUntouched.has(error)) {
      ctx.log(`snapshot restore failed after blocks and state were cleared: ${(error as Error).message}; the node stays stopped`, "error");
      return;
    }
    if (this.#deps.node.inMaintenance) return;
    ctx.log(`snapshot restore failed: ${(error as Error).message}; starting the node on its previous data`, "error");
    await this.#startAfter(ctx, "snapshot restore").catch(() => undefined);
  }

  #backupable(what: string): Chain & Backupable {
    const chain = this.#deps.chain;
    if (!isBackupable(chain)) throw BackupErrors.unsupported(what);
    return chain;
  }

  async #refuseWhenProducing(command: string): Promise<void> {
    const state = onTheHook(this.#deps.production);
    if (state !== undefined && !(await this.#producesNothing())) throw BackupErrors.producing(command, state);
  }

  // A node that is not running, or whose production is paused (asked now, not cached), produces nothing, whatever
  // the schedule says: stopping it cuts no round short. A paused standby of a BP trio sees our round coming too.
  async #producesNothing(): Promise<boolean> {
    const chain = this.#deps.chain;
    if (chain.status().state !== "running") return true;
    return isProducer(chain) && (await chain.isProductionPaused().catch(() => false));
  }

  // In bp mode a producer pauses before it stops, so no block of ours is cut short; the node then starts paused. Says
  // whether production was on, in which case the job resumes it once the node is back.
  async #pauseProduction(ctx: JobContext): Promise<boolean> {
    const chain = this.#deps.chain;
    if (!this.#opts.bpMode || !isProducer(chain) || chain.status().state !== "running") return false;
    // Not knowing counts as paused: production is only brought back when it surely was on.
    const wasProducing = await isProducing(chain);
    const wasAboutToResume = !wasProducing && chain.wantsProduction();
    ctx.progress({ message: "pausing production" });
    // Through block-producer mode where it runs: its signing fence closes with the pause.
    await (this.#deps.production?.pauseNow?.() ?? chain.pauseProduction());
    ctx.log(
      wasProducing
        ? "production paused; it resumes through the safe resume once the node is back"
        : wasAboutToResume
          ? "production was to resume after the start of nodeos; it stays paused now (resume with safely_resume_production)"
          : "production was paused and stays paused (resume with safely_resume_production)",
      wasAboutToResume ? "warn" : "info",
    );
    return wasProducing;
  }

  #resumeProduction(ctx: JobContext): Promise<ProductionAfterJob> {
    return resumeProductionAfterJob({ chain: this.#deps.chain, production: this.#deps.production, logger: this.#logger }, ctx);
  }

  // Starts the node after a job stopped it; a start failure is logged and rethrown.
  async #startAfter(ctx: JobContext, after: string): Promise<void> {
    const chain = this.#deps.chain;
    if (chain.status().state === "running") return;
    ctx.progress({ message: "starting the node" });
    try {
      await chain.start();
    } catch (error) {
      ctx.log(`the node did not start after the ${after}: ${(error as Error).message}`, "error");
      this.#logger.error({ err: error }, `the node did not start after the ${after}`);
      throw error;
    }
  }

  async #waitSynced(ctx: JobContext): Promise<HeadInfo | undefined> {
    ctx.progress({ message: "waiting until synced" });
    return this.#deps.node.waitSynced(ctx);
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

// Engine progress as job progress: bytes, with files and chunks in the message.
function bytesProgress(verb: string, p: BackupProgress) {
  return {
    current: p.current,
    total: p.total,
    unit: "bytes",
    message: `${verb}: ${p.filesDone}/${p.filesTotal} files, ${p.chunksDone}/${p.chunksTotal} chunks; ${p.message}`,
  };
}

function optionalFinalizers(finalizers: FinalizersLocation | undefined): { finalizers?: FinalizersLocation } {
  return finalizers === undefined ? {} : { finalizers };
}
