import { mkdir, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { Logger } from "pino";
import type { Backupable, Chain } from "../chain/chain.js";
import { isBackupable, isSnapshotable } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import type { NodeStatus } from "../operator/node-watch.js";
import type { ProductionAfterJob } from "../operator/production-after-job.js";
import type { ProxyGate } from "../proxy/gate.js";
import type { Store } from "../storage/store.js";
import type { Backups } from "./backups.js";
import { resolveChainId } from "./chain-id.js";
import { BackupErrors } from "./errors.js";
import { type FinalizerReport, finalizersOf, removeSparing } from "./finalizers.js";
import type { JobProduction } from "./job-production.js";
import { reportFinalizer, startAfter, waitSynced } from "./node-steps.js";
import type { StoredSnapshot } from "./snapshots.js";

/** What a start from a snapshot did, with what it left of the node's finalizer safety data (null: no finalizers). */
export interface SnapshotStart {
  readonly snapshot: StoredSnapshot;
  readonly finalizer: FinalizerReport | null;
}

/** What a snapshot restore job answers. */
export interface SnapshotRestoreResult extends SnapshotStart {
  readonly syncedHead: number | null;
  readonly production: ProductionAfterJob;
}

/** Settings of the snapshot jobs (config `backup.chainId`, `backup.snapshotsKeepLast`). */
export interface SnapshotJobsOptions {
  readonly chainId?: string;
  readonly snapshotsKeepLast: number;
}

/** What the snapshot jobs drive. */
export interface SnapshotJobsDeps {
  readonly backups: Backups;
  readonly store: Store;
  readonly chain: Chain;
  readonly gate: ProxyGate;
  readonly node: NodeStatus;
  readonly production: JobProduction;
  readonly logger: Logger;
}

/** nodeos snapshots to storage and starts from them, as operator jobs. */
export class SnapshotJobs {
  readonly #opts: SnapshotJobsOptions;
  readonly #deps: SnapshotJobsDeps;
  // Errors of snapshot restores that failed before touching the data dir.
  readonly #dataUntouched = new WeakSet<object>();

  constructor(opts: SnapshotJobsOptions, deps: SnapshotJobsDeps) {
    this.#opts = opts;
    this.#deps = deps;
  }

  /** Asks nodeos for a snapshot, uploads it, deletes the local file and keeps the newest `snapshotsKeepLast`. */
  async snapshot(ctx: JobContext): Promise<{ snapshot: StoredSnapshot; removed: string[] }> {
    const chain = this.#deps.chain;
    if (!isSnapshotable(chain)) throw BackupErrors.unsupported("snapshots");
    await this.#deps.production.refuseWhenProducing("snapshot");
    const chainId = chain.status().head?.chainId ?? this.#opts.chainId;
    if (chainId === undefined) throw BackupErrors.noHead("take a snapshot");
    ctx.progress({ current: 0, total: 3, unit: "steps", message: "creating the snapshot" });
    const info = await chain.createSnapshot();
    const path =
      isAbsolute(info.snapshotName) || !isBackupable(chain) ? info.snapshotName : join(chain.dataDir, "snapshots", info.snapshotName);
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
  async snapshotRestore(ctx: JobContext, params: { snapshot: string }): Promise<SnapshotRestoreResult> {
    const chain = this.#deps.chain;
    if (!isBackupable(chain)) throw BackupErrors.unsupported("snapshot restores");
    if (!isSnapshotable(chain)) throw BackupErrors.unsupported("snapshots");
    const { production, gate } = this.#deps;
    await production.refuseWhenProducing("snapshot_restore");
    const resolved = await resolveChainId(this.#opts.chainId, chain, this.#deps.store);
    if (resolved.chainId === undefined) throw BackupErrors.noChainId("reason" in resolved ? resolved.reason : "unknown");
    // Looked up before the node stops; the name is pinned so `latest` cannot move under the download.
    const found = await this.#deps.backups.findSnapshot({ chainId: resolved.chainId, name: params.snapshot });
    gate.close("restore");
    let wasProducing = false;
    try {
      wasProducing = await production.pause(ctx);
      ctx.progress({ current: 0, total: 4, unit: "steps", message: "stopping the node" });
      await chain.stop();
      let started: SnapshotStart;
      try {
        started = await this.startFromSnapshot(ctx, chain, resolved.chainId, found.name);
      } catch (error) {
        await this.#startAfterFailedRestore(ctx, error);
        throw error;
      }
      ctx.progress({ current: 3, total: 4, message: "waiting until synced" });
      const synced = await waitSynced(this.#deps.node, ctx);
      // nodeos has loaded it by now.
      await rm(join(chain.dataDir, "snapshots", `restore-${ctx.id}.bin`), { force: true });
      gate.release("restore");
      const resumed = wasProducing ? await production.resume(ctx) : null;
      ctx.progress({ current: 4, total: 4, message: `started from snapshot ${started.snapshot.name}` });
      return { ...started, syncedHead: synced?.headBlockNum ?? null, production: resumed };
    } catch (error) {
      if (wasProducing) await production.resume(ctx);
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
    const finalizer = await reportFinalizer(this.#deps.logger, ctx, finalizers);
    ctx.progress({ current: 2, total: 4, message: `starting from snapshot ${snapshot.name}` });
    try {
      await chain.start({ snapshot: destination });
    } catch (error) {
      await rm(destination, { force: true });
      throw error;
    }
    return { snapshot, finalizer };
  }

  // A snapshot restore that failed before blocks and state were cleared brings the node back on them (not in maintenance).
  async #startAfterFailedRestore(ctx: JobContext, error: unknown): Promise<void> {
    if (typeof error !== "object" || error === null || !this.#dataUntouched.has(error)) {
      ctx.log(`snapshot restore failed after blocks and state were cleared: ${(error as Error).message}; the node stays stopped`, "error");
      return;
    }
    if (this.#deps.node.inMaintenance) return;
    ctx.log(`snapshot restore failed: ${(error as Error).message}; starting the node on its previous data`, "error");
    await startAfter(this.#deps.chain, this.#deps.logger, ctx, "snapshot restore").catch(() => undefined);
  }
}
