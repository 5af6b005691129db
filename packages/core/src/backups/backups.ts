import { hostname } from "node:os";
import { pino } from "pino";
import { isManageosError } from "../errors/manageos-error.js";
import { MANAGEOS_VERSION } from "../version.js";
import { type BackupRequest, runBackup } from "./backup-run.js";
import { listBackupRefs, readManifest, readManifests } from "./catalog.js";
import type { BackupsDeps, BackupsOptions, EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { type GcOptions, type GcResult, runGc } from "./gc.js";
import { assertChainId, assertRestoreName, assertSnapshotRestoreName } from "./layout.js";
import type { Manifest } from "./manifest.js";
import type { ProgressListener } from "./progress.js";
import { runRestore } from "./restore-run.js";
import { type RetentionPolicy, type RetentionResult, runRetention } from "./retention.js";
import { getSnapshot, listSnapshots, putSnapshot, runSnapshotRetention, type StoredSnapshot } from "./snapshots.js";

/** One line of a backup listing. */
export interface BackupInfo {
  readonly name: string;
  readonly chainId: string;
  readonly head: { readonly num: number; readonly id: string };
  readonly createdAt: string;
  readonly tag: string;
  readonly serverVersion: string;
  readonly files: number;
  /** Sum of file sizes. */
  readonly sizeBytes: number;
  /** Bytes of non-zero data. */
  readonly dataBytes: number;
  /** Bytes this backup uploaded. */
  readonly newBytes: number;
  /**
   * The node's finalizer safety data as the backup recorded it (never restored): its finalizers dir, and its
   * `safety.dat` (size, mtime) or null when it had none; null for backups that recorded nothing of it.
   */
  readonly finalizers: {
    readonly dir: string;
    readonly restore: false;
    readonly safetyFile: { readonly size: number; readonly mtime: string } | null;
  } | null;
}

/** What a backup run produced. */
export interface BackupResult extends BackupInfo {
  readonly manifest: Manifest;
  readonly durationSeconds: number;
}

/** What a restore did; `fallbacks` lists the newer backups that `latest` had to skip, and why. */
export interface RestoreResult {
  readonly name: string;
  readonly chainId: string;
  readonly head: { readonly num: number; readonly id: string };
  readonly bytes: number;
  readonly files: number;
  readonly durationSeconds: number;
  readonly fallbacks: { name: string; code: string; message: string }[];
}

// Manifests a listing leaves out: malformed, or of a format this version does not read.
const UNREADABLE_CODES = new Set([BackupErrors.manifestInvalid.code, BackupErrors.manifestVersion.code]);
// Failures that condemn one backup but not the next older one.
const FALLBACK_CODES = new Set([
  BackupErrors.chunkCorrupt.code,
  BackupErrors.chunkMissing.code,
  BackupErrors.manifestInvalid.code,
  BackupErrors.manifestVersion.code,
]);

/** The backup engine: content-addressed, incremental, sparse-aware backups of a node's data dir. */
export class Backups {
  private readonly ctx: EngineContext;

  constructor(options: BackupsOptions, deps: BackupsDeps) {
    const chunkSize = options.chunkSize ?? 16 * 1024 * 1024;
    const parallel = options.parallel ?? 4;
    if (!Number.isInteger(chunkSize) || chunkSize < 4096 || chunkSize > 1024 * 1024 * 1024) {
      throw BackupErrors.args(`chunk size ${chunkSize} must be an integer between 4 KiB and 1 GiB`);
    }
    if (!Number.isInteger(parallel) || parallel < 1) throw BackupErrors.args(`parallel ${parallel} must be a positive integer`);
    this.ctx = {
      store: deps.store,
      logger: (deps.logger ?? pino({ level: "silent" })).child({ module: "backups" }),
      metrics: deps.metrics,
      chunkSize,
      parallel,
      compress: options.compress ?? "none",
      toolVersion: options.toolVersion ?? MANAGEOS_VERSION,
      gcGraceMs: options.gcGraceMs ?? 3_600_000,
      staleBackupMs: options.staleBackupMs ?? 86_400_000,
      staleGcMs: options.staleGcMs ?? 7_200_000,
      hostname: options.hostname ?? hostname(),
      now: options.now ?? (() => new Date()),
    };
  }

  /** Backs up `dataDir`; the node must not write to it meanwhile. The backup exists once its manifest does. */
  async backup(request: BackupRequest, onProgress?: ProgressListener): Promise<BackupResult> {
    const started = process.hrtime.bigint();
    try {
      const manifest = await runBackup(this.ctx, request, onProgress);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.ctx.metrics?.backups.inc({ result: "success" });
      this.ctx.metrics?.duration.observe({ operation: "backup" }, seconds);
      this.ctx.metrics?.lastSuccess.set(this.ctx.now().getTime() / 1000);
      this.ctx.logger.info(
        { name: manifest.name, chainId: manifest.chainId, bytes: manifest.totals.bytes, newBytes: manifest.totals.newBytes, seconds },
        "backup done",
      );
      return { ...infoOf(manifest), manifest, durationSeconds: seconds };
    } catch (error) {
      this.ctx.metrics?.backups.inc({ result: "failure" });
      this.ctx.logger.error({ err: error, chainId: request.chainId }, "backup failed");
      throw error;
    }
  }

  /** Backups newest first (highest head block); all chains when `chainId` is absent. Unreadable manifests are left out. */
  async list(query: { chainId?: string; limit?: number; offset?: number } = {}): Promise<BackupInfo[]> {
    const refs = await listBackupRefs(this.ctx.store, query.chainId);
    const page = refs.slice(query.offset ?? 0, (query.offset ?? 0) + (query.limit ?? 50));
    const out: BackupInfo[] = [];
    for (const ref of page) {
      try {
        out.push(infoOf(await readManifest(this.ctx.store, ref.key)));
      } catch (error) {
        if (!isManageosError(error) || !UNREADABLE_CODES.has(error.code)) throw error;
        this.ctx.logger.warn({ err: error, key: ref.key }, "unreadable backup manifest left out of the listing");
      }
    }
    return out;
  }

  /** The validated manifest of one backup. */
  async manifest(chainId: string, name: string): Promise<Manifest> {
    const ref = (await listBackupRefs(this.ctx.store, chainId)).find((r) => r.name === name);
    if (ref === undefined) throw BackupErrors.notFound(chainId, name);
    return readManifest(this.ctx.store, ref.key);
  }

  /**
   * Fails as a restore of `name` would for want of a backup, touching no data dir: `latest` with no
   * backup of the chain, a name that is not a backup name, or one that is not stored (or unreadable).
   */
  async lookup(chainId: string, name: string | "latest"): Promise<void> {
    assertRestoreName(name);
    if (name !== "latest") {
      await this.manifest(chainId, name);
      return;
    }
    if ((await listBackupRefs(this.ctx.store, assertChainId(chainId))).length === 0) throw BackupErrors.noBackup(chainId);
  }

  /**
   * Restores a backup into `dataDir` (staging dir, verify, swap). With `latest`, a backup with a
   * corrupt or missing chunk is skipped for the next older one, and the result says so. The paths
   * of the data dir in `keep` (the node's finalizer safety data) stay the node's own, as they were.
   */
  async restore(
    request: { dataDir: string; chainId: string; name: string | "latest"; keep?: readonly string[] },
    onProgress?: ProgressListener,
  ): Promise<RestoreResult> {
    const chainId = assertChainId(request.chainId);
    assertRestoreName(request.name);
    const started = process.hrtime.bigint();
    const refs = await listBackupRefs(this.ctx.store, chainId);
    const candidates = request.name === "latest" ? refs : refs.filter((r) => r.name === request.name);
    if (candidates.length === 0) {
      this.ctx.metrics?.restores.inc({ result: "failure" });
      throw request.name === "latest" ? BackupErrors.noBackup(chainId) : BackupErrors.notFound(chainId, request.name);
    }
    const fallbacks: RestoreResult["fallbacks"] = [];
    let lastError: unknown;
    for (const ref of candidates) {
      try {
        const manifest = await readManifest(this.ctx.store, ref.key);
        await runRestore(this.ctx, manifest, request.dataDir, onProgress, request.keep);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.ctx.metrics?.restores.inc({ result: fallbacks.length > 0 ? "fallback" : "success" });
        this.ctx.metrics?.duration.observe({ operation: "restore" }, seconds);
        this.ctx.logger.info({ name: manifest.name, chainId, fallbacks: fallbacks.length, seconds }, "restore done");
        return {
          name: manifest.name,
          chainId,
          head: manifest.head,
          bytes: manifest.totals.bytes,
          files: manifest.totals.files,
          durationSeconds: seconds,
          fallbacks,
        };
      } catch (error) {
        lastError = error;
        const code = isManageosError(error) ? error.code : "";
        if (request.name !== "latest" || !FALLBACK_CODES.has(code)) break;
        const message = (error as Error).message;
        fallbacks.push({ name: ref.name, code, message });
        this.ctx.logger.warn({ err: error, name: ref.name, chainId }, "backup unusable, falling back to the next older one");
      }
    }
    this.ctx.metrics?.restores.inc({ result: "failure" });
    this.ctx.logger.error({ err: lastError, chainId, name: request.name }, "restore failed");
    if (request.name === "latest" && fallbacks.length === candidates.length) {
      throw BackupErrors.noBackup(chainId, { cause: lastError, details: { fallbacks } });
    }
    throw lastError;
  }

  /** Deletes backups beyond `keepLast` or older than `maxAge` (never the newest); chunks go at the next gc. */
  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    return runRetention(this.ctx, policy);
  }

  /** Removes chunks no manifest references (older than the grace period), and partial uploads. */
  async gc(options?: GcOptions): Promise<GcResult> {
    return runGc(this.ctx, options);
  }

  /** Uploads a nodeos snapshot file. */
  async putSnapshot(request: { chainId: string; head: { num: number; id: string }; path: string }): Promise<StoredSnapshot> {
    return putSnapshot(this.ctx, request);
  }

  /** Snapshots of a chain, highest head first. */
  async listSnapshots(query: { chainId: string; limit?: number; offset?: number }): Promise<StoredSnapshot[]> {
    const all = await listSnapshots(this.ctx, query.chainId);
    return all.slice(query.offset ?? 0, (query.offset ?? 0) + (query.limit ?? 50));
  }

  /** The stored snapshot `latest` or `name` names; BKP_ERR_BAD_NAME or BKP_ERR_SNAPSHOT_NOT_FOUND otherwise. */
  async findSnapshot(request: { chainId: string; name: string | "latest" }): Promise<StoredSnapshot> {
    assertSnapshotRestoreName(request.name);
    const all = await listSnapshots(this.ctx, request.chainId);
    const found = request.name === "latest" ? all[0] : all.find((s) => s.name === request.name);
    if (found === undefined) throw BackupErrors.snapshotNotFound(request.chainId, request.name);
    return found;
  }

  /** Downloads a snapshot (`latest` or a name) to a local file. */
  async getSnapshot(request: { chainId: string; name: string | "latest"; destination: string }): Promise<StoredSnapshot> {
    return getSnapshot(this.ctx, request);
  }

  /** Keeps the newest `keepLast` snapshots (config `backup.snapshotsKeepLast`). */
  async applySnapshotRetention(request: { chainId: string; keepLast: number }): Promise<string[]> {
    return runSnapshotRetention(this.ctx, request);
  }

  /** Validates many manifests at once (for tools and benchmarks). */
  async readManifests(keys: string[]): Promise<Manifest[]> {
    return readManifests(this.ctx.store, keys, this.ctx.parallel);
  }
}

function infoOf(manifest: Manifest): BackupInfo {
  return {
    name: manifest.name,
    chainId: manifest.chainId,
    head: manifest.head,
    createdAt: manifest.createdAt,
    tag: manifest.tag,
    serverVersion: manifest.serverVersion,
    files: manifest.totals.files,
    sizeBytes: manifest.totals.bytes,
    dataBytes: manifest.totals.dataBytes,
    newBytes: manifest.totals.newBytes,
    finalizers: finalizersInfo(manifest),
  };
}

function finalizersInfo(manifest: Manifest): BackupInfo["finalizers"] {
  const record = manifest.finalizers;
  if (record === undefined) return null;
  const safety = record.safetyFile;
  return {
    dir: record.dir,
    restore: false,
    safetyFile: safety === null ? null : { size: safety.size, mtime: new Date(safety.mtimeMs).toISOString() },
  };
}
