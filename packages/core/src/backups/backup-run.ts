import { lstat, stat } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import { isManageosError } from "../errors/manageos-error.js";
import { StorageErrors } from "../storage/errors.js";
import { storeBatch } from "../storage/store.js";
import { BufferPool } from "./chunk-io.js";
import { PUBLISHED, type RunState, storeBuffer } from "./chunk-upload.js";
import type { EngineContext } from "./context.js";
import { ChunkReader, readsAroundCache } from "./direct-read.js";
import { BackupErrors } from "./errors.js";
import { type DataRange, dataRanges, holdsData } from "./extents.js";
import { type FinalizersLocation, SAFETY_FILE } from "./finalizers.js";
import { HashPool } from "./hash-pool.js";
import { type GrownPrefix, grownPrefix, type PreviousFile, previousFiles, reuseUnchanged } from "./incremental.js";
import { assertChainId, assertTag, backupName, manifestKey } from "./layout.js";
import { describeMarkers, putMarker, readMarkers, releaseMarker } from "./locks.js";
import { type FinalizersRecord, MANIFEST_FORMAT, type Manifest, type ManifestFile } from "./manifest.js";
import { backupPack, isPackable, planPacks } from "./packs.js";
import { type ProgressListener, ProgressTracker } from "./progress.js";
import { type ScannedFile, scanDataDir } from "./scan.js";
import { compactStretches, dataStretches, isWhole, type Stretch, stretchBytes } from "./stretches.js";

/** What to back up and how to label it. */
export interface BackupRequest {
  readonly dataDir: string;
  readonly chainId: string;
  readonly head: { readonly num: number; readonly id: string };
  readonly serverVersion: string;
  /** Lowercase letters, digits, dashes; default `manual`. */
  readonly tag?: string;
  /** Top-level entries of the data dir to back up (nodeos: `blocks`, `state`); everything when absent. */
  readonly paths?: readonly string[];
  /**
   * Files that only ever grow (nodeos: `blocks/blocks.log`, `blocks/blocks.index`): when one has grown
   * since the previous backup, its complete old chunks are taken over after re-hashing the last of them.
   */
  readonly appendOnly?: readonly string[];
  /**
   * The node's finalizer safety data (Spring): its `safety.dat` is recorded beside the files, never among them, and
   * nothing of the data dir that `keep` names is backed up as data.
   */
  readonly finalizers?: FinalizersLocation;
}

type Limit = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Backs the data dir up: chunks first (skipping zero and already stored ones, small files packed many to a chunk,
 * zero stretches left out of the chunks that hold them), the manifest last.
 */
export async function runBackup(ctx: EngineContext, request: BackupRequest, onProgress?: ProgressListener): Promise<Manifest> {
  const chainId = assertChainId(request.chainId);
  const tag = assertTag(request.tag ?? "manual");
  if (!Number.isSafeInteger(request.head.num) || request.head.num < 0)
    throw BackupErrors.args(`head block ${request.head.num} is not a block number`);
  const started = ctx.now();
  const name = backupName(request.head.num, started, tag);
  const scan = await scanDataDir(request.dataDir, request.paths, request.finalizers?.keep);
  for (const path of scan.skipped) ctx.logger.warn({ path }, "not a regular file or directory: left out of the backup");

  const chunkCounts = scan.files.map((f) => ({ path: f.path, chunks: Math.ceil(f.size / ctx.chunkSize) }));
  const totalBytes = scan.files.reduce((sum, f) => sum + f.size, 0);
  const totalChunks = chunkCounts.reduce((sum, f) => sum + f.chunks, 0);
  const progress = new ProgressTracker("backed up", totalBytes, totalChunks, chunkCounts, onProgress);
  progress.report(`backing up ${scan.files.length} files, ${totalBytes} bytes, as ${name}`);

  const marker = await putMarker(ctx.store, "backup", chainId, ctx.hostname, started);
  try {
    const gcs = await readMarkers(ctx.store, "gc", started, ctx.staleGcMs, ctx.hostname);
    if (gcs.active.length > 0) throw BackupErrors.busy(`a gc is running (${describeMarkers(gcs.active)})`);
    const state: RunState = {
      newChunks: 0,
      newBytes: 0,
      failed: false,
      known: new Map(),
      batch: storeBatch(ctx.store),
      hashes: new HashPool(),
      buffers: new BufferPool(ctx.chunkSize),
    };
    state.hashes.warm();
    const limit = pLimit(ctx.parallel);
    const previous = await previousFiles(ctx, chainId);
    let files: ManifestFile[];
    let finalizers: FinalizersRecord | undefined;
    try {
      const done = new Map<string, ManifestFile>();
      const small = scan.files.filter((f) => isPackable(f, ctx.chunkSize));
      const large = scan.files.filter((f) => !isPackable(f, ctx.chunkSize));
      await settleAll([
        backupSmallFiles(ctx, request.dataDir, small, previous, limit, state, progress, done),
        ...large.map(async (file) => {
          const before = previous.get(file.path);
          const reused = await reuseUnchanged(ctx, file, before, state, progress);
          if (reused !== undefined) return void done.set(file.path, reused);
          const grown =
            request.appendOnly?.includes(file.path) === true ? await grownPrefix(ctx, request.dataDir, file, before, state) : undefined;
          done.set(file.path, await backupFile(ctx, request.dataDir, file, limit, state, progress, grown));
        }),
      ]);
      files = scan.files.map((f) => done.get(f.path) as ManifestFile);
      if (request.finalizers !== undefined) finalizers = await recordFinalizers(ctx, request.finalizers, limit, state);
      // Every chunk's content was fsynced before it got its name; now the names, before the manifest.
      await state.batch.commit();
    } catch (error) {
      state.failed = true;
      await state.batch.drain();
      throw error;
    } finally {
      await state.hashes.close();
    }
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      name,
      chainId,
      head: { num: request.head.num, id: request.head.id },
      serverVersion: request.serverVersion,
      tag,
      toolVersion: ctx.toolVersion,
      createdAt: started.toISOString(),
      durationSeconds: (ctx.now().getTime() - started.getTime()) / 1000,
      chunkSize: ctx.chunkSize,
      compression: ctx.compress,
      dirs: scan.dirs,
      files,
      ...(finalizers === undefined ? {} : { finalizers }),
      totals: {
        files: files.length,
        bytes: totalBytes,
        dataBytes: files.reduce((sum, f) => sum + dataBytesOf(f, ctx.chunkSize), 0),
        chunks: totalChunks,
        newChunks: state.newChunks,
        newBytes: state.newBytes,
      },
    };
    progress.report(`writing manifest ${name}`);
    try {
      await ctx.store.put(manifestKey(chainId, name), `${JSON.stringify(manifest)}\n`, { ifAbsent: true, contentType: "application/json" });
    } catch (error) {
      if (isManageosError(error) && error.code === StorageErrors.exists.code) throw BackupErrors.exists(name, { cause: error });
      throw error;
    }
    return manifest;
  } finally {
    await releaseMarker(ctx.store, marker, ctx.logger);
  }
}

// The node's safety.dat, chunked like any file but recorded apart from the files (a restore never writes it).
async function recordFinalizers(
  ctx: EngineContext,
  location: FinalizersLocation,
  limit: Limit,
  state: RunState,
): Promise<FinalizersRecord> {
  const info = await lstat(join(location.dir, SAFETY_FILE)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw BackupErrors.source(join(location.dir, SAFETY_FILE), error.message, { cause: error });
  });
  if (info === undefined || !info.isFile()) {
    if (info !== undefined)
      ctx.logger.warn({ path: join(location.dir, SAFETY_FILE) }, "the safety file is not a regular file: not recorded");
    return { dir: location.dir, restore: false, safetyFile: null };
  }
  const file: ScannedFile = { path: SAFETY_FILE, size: info.size, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs };
  const progress = new ProgressTracker("recorded", file.size, Math.ceil(file.size / ctx.chunkSize), [], undefined);
  const safetyFile = await backupFile(ctx, location.dir, file, limit, state, progress);
  return { dir: location.dir, restore: false, safetyFile };
}

// Small files: unchanged ones keep their pack and offset, the others are packed anew, a pack per limiter slot.
async function backupSmallFiles(
  ctx: EngineContext,
  dataDir: string,
  small: readonly ScannedFile[],
  previous: Map<string, PreviousFile>,
  limit: Limit,
  state: RunState,
  progress: ProgressTracker,
  done: Map<string, ManifestFile>,
): Promise<void> {
  const fresh: ScannedFile[] = [];
  for (const file of small) {
    const reused = await reuseUnchanged(ctx, file, previous.get(file.path), state, progress);
    if (reused === undefined) fresh.push(file);
    else done.set(file.path, reused);
  }
  await settleAll(
    planPacks(fresh, ctx.chunkSize).map(async (pack) => {
      try {
        const stored = await limit(async () => (state.failed ? undefined : backupPack(ctx, dataDir, pack, state)));
        if (stored === undefined) return;
        await stored.published;
        for (const entry of stored.entries) {
          done.set(entry.path, entry);
          progress.chunkDone(entry.path, entry.size);
        }
      } catch (error) {
        state.failed = true;
        throw error;
      }
    }),
  );
}

// Chunks one file through the shared limiter; the file's chunk list keeps its order.
async function backupFile(
  ctx: EngineContext,
  dataDir: string,
  file: ScannedFile,
  limit: Limit,
  state: RunState,
  progress: ProgressTracker,
  grown: GrownPrefix = { chunks: [], sparse: {} },
): Promise<ManifestFile> {
  const prefix = grown.chunks;
  const sparse: Record<string, Stretch[]> = {};
  const count = Math.ceil(file.size / ctx.chunkSize);
  const path = join(dataDir, ...file.path.split("/"));
  const ranges = await sparseRanges(path, file.size, ctx.chunkSize);
  // One reader for every chunk of the file; it opens the file at the first chunk that needs reading. The new tail of
  // a grown append-only file was written since the last backup, likely still cached: read through the cache, as is a
  // file found mostly cached. Finding out takes a process and a walk of the file's pages (about 10 ms a GiB), so the
  // reads start around the cache meanwhile.
  const source = new ChunkReader(path, prefix.length === 0);
  const probed =
    prefix.length === 0
      ? readsAroundCache(path, file.size).then(
          (around) => around || source.throughCache(),
          () => undefined,
        )
      : undefined;
  try {
    const chunks = await settleAll(
      Array.from({ length: count }, async (_, index) => {
        try {
          const length = Math.min(ctx.chunkSize, file.size - index * ctx.chunkSize);
          const offset = index * ctx.chunkSize;
          if (index < prefix.length) {
            const taken = grown.sparse[String(index)];
            if (taken !== undefined) sparse[String(index)] = taken;
            progress.chunkDone(file.path, length);
            return prefix[index] ?? null;
          }
          // A chunk lying wholly in a hole is zeros: not read, not stored.
          if (ranges !== undefined && !holdsData(ranges, offset, offset + length)) {
            progress.chunkDone(file.path, length);
            return null;
          }
          // The slot is held while the chunk's buffer is in use; publishing (fsync, rename) goes on outside it.
          const staged = await limit(async () => (state.failed ? undefined : stageChunk(ctx, source, path, offset, length, state)));
          if (staged === undefined) return null;
          await staged.published;
          if (staged.stretches !== undefined) sparse[String(index)] = staged.stretches;
          progress.chunkDone(file.path, length);
          return staged.hash;
        } catch (error) {
          state.failed = true;
          throw error;
        }
      }),
    );
    const entry: ManifestFile = { path: file.path, size: file.size, mode: file.mode, mtimeMs: file.mtimeMs, chunks };
    return Object.keys(sparse).length === 0 ? entry : { ...entry, sparse: sortedByIndex(sparse) };
  } finally {
    await probed;
    await source.close();
  }
}

// Reads, hashes and hands one chunk to the store; `published` resolves once it is stored (null hash: zeros). A chunk
// with zero stretches is stored without them: `stretches` says where its data lies.
async function stageChunk(
  ctx: EngineContext,
  source: ChunkReader,
  path: string,
  offset: number,
  length: number,
  state: RunState,
): Promise<{ hash: string | null; stretches?: Stretch[]; published: Promise<void> }> {
  const chunk = state.buffers.take();
  try {
    const buffer = chunk.bytes.subarray(0, length);
    let complete: boolean;
    try {
      complete = await source.read(chunk.bytes, offset, length);
    } catch (error) {
      throw BackupErrors.source(path, (error as Error).message, { cause: error });
    }
    if (!complete) throw BackupErrors.sourceChanged(path);
    const stretches = dataStretches(buffer);
    if (stretches.length === 0) return { hash: null, published: PUBLISHED };
    // Awaited here: the buffer goes back to the pool in `finally`, once the store has consumed it.
    if (isWhole(stretches, length)) return await storeBuffer(ctx, state, chunk, length);
    return { ...(await storeBuffer(ctx, state, chunk, compactStretches(chunk.bytes, stretches))), stretches };
  } finally {
    state.buffers.give(chunk);
  }
}

// Like Promise.all, but settles every promise before rejecting, so nothing of a failed run is left running.
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r) => r.status === "rejected");
  if (failure !== undefined) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

// Bytes of data the file's stored chunks hold (zero stretches and zero chunks left out).
function dataBytesOf(file: ManifestFile, chunkSize: number): number {
  return file.chunks.reduce<number>((sum, hash, i) => {
    if (hash === null) return sum;
    const stretches = file.sparse?.[String(i)];
    return sum + (stretches === undefined ? Math.min(chunkSize, file.size - i * chunkSize) : stretchBytes(stretches));
  }, 0);
}

// The same record with its keys in chunk order, so a manifest reads in file order.
function sortedByIndex<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort((a, b) => Number(a[0]) - Number(b[0])));
}

// The data ranges of a sparse file larger than a chunk; undefined for dense files or without an extent map.
async function sparseRanges(path: string, size: number, chunkSize: number): Promise<DataRange[] | undefined> {
  if (size <= chunkSize) return undefined;
  try {
    const info = await stat(path);
    if (info.blocks * 512 >= size) return undefined;
  } catch (error) {
    throw BackupErrors.source(path, (error as Error).message, { cause: error });
  }
  return dataRanges(path);
}
