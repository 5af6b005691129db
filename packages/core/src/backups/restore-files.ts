import type { FileHandle } from "node:fs/promises";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gunzip as gunzipCb, zstdDecompress as unzstdCb } from "node:zlib";
import pLimit from "p-limit";
import { isManageosError } from "../errors/manageos-error.js";
import { DirectWriter, writeAll } from "../fs/direct-write.js";
import { StorageErrors } from "../storage/errors.js";
import { type BufferPool, type ChunkBuffer, isAllZero } from "./chunk-io.js";
import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import type { HashPool } from "./hash-pool.js";
import { chunkKey } from "./layout.js";
import type { Manifest, ManifestFile } from "./manifest.js";
import type { ProgressTracker } from "./progress.js";
import { type Stretch, stretchBytes } from "./stretches.js";

const gunzip = promisify(gunzipCb);
const unzstd = promisify(unzstdCb);

/**
 * A file of the staging dir: opened by its first chunk and, after its last, given its mode and mtime (and fsynced,
 * unless the staging dir is flushed at once at the end) and closed, so only the files being written hold a descriptor.
 */
class StagedFile {
  private handle: Promise<FileHandle> | undefined;
  private readonly writer: DirectWriter;
  private remaining: number;

  constructor(
    private readonly path: string,
    private readonly file: ManifestFile,
    private readonly syncEach: boolean,
  ) {
    this.remaining = file.chunks.length;
    this.writer = new DirectWriter(path, false);
  }

  /** Writes verified chunk bytes at `position`. */
  async write(bytes: Uint8Array, position: number): Promise<void> {
    // The file was sized by truncate, so its all-zero stretches are holes already: only data is written.
    for (const [start, end] of dataRuns(bytes)) await this.writer.write(bytes.subarray(start, end), position + start);
  }

  /** Writes a chunk stored without its zero stretches: `stored` holds the stretches back to back. */
  async writeStretches(stored: Uint8Array, stretches: readonly Stretch[], position: number): Promise<void> {
    let at = 0;
    for (const [start, end] of stretches) {
      await this.writer.write(stored.subarray(at, at + end - start), position + start);
      at += end - start;
    }
  }

  /** Counts one chunk in; after the last, mode and mtime. */
  async chunkDone(): Promise<void> {
    this.remaining--;
    if (this.remaining <= 0) await this.finish();
  }

  async finish(): Promise<void> {
    this.handle ??= open(this.path, "r+");
    const handle = await this.handle;
    await handle.chmod(this.file.mode);
    const mtime = new Date(this.file.mtimeMs);
    await handle.utimes(mtime, mtime);
    if (this.syncEach) await handle.sync();
    await this.close();
  }

  /** Closes the file if it is open (also after a failure). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
    await this.writer.close();
  }
}

// Writes every file into the staging dir: packed small files a pack at a time, the others chunk by chunk in place.
export async function restoreFiles(
  ctx: EngineContext,
  manifest: Manifest,
  staging: string,
  files: readonly ManifestFile[],
  tools: RestoreTools,
  progress: ProgressTracker,
): Promise<void> {
  const packs = new Map<string, ManifestFile[]>();
  const chunked: ManifestFile[] = [];
  for (const file of files) {
    const pack = file.packOffset === undefined ? undefined : file.chunks[0];
    if (pack === undefined || pack === null) chunked.push(file);
    else packs.set(pack, [...(packs.get(pack) ?? []), file]);
  }
  // Every chunked file gets its full size first: chunks are written in place, null chunks and zero stretches stay holes.
  const staged: StagedFile[] = [];
  try {
    for (const file of chunked) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, "w", 0o600);
      try {
        await handle.truncate(file.size);
      } finally {
        await handle.close();
      }
      const one = new StagedFile(path, file, tools.syncEach);
      staged.push(one);
      if (file.chunks.length === 0) await one.finish();
    }
    const limit = pLimit(ctx.parallel);
    let failed = false;
    const guarded = (job: () => Promise<void>) =>
      limit(async () => {
        if (failed) return;
        try {
          await job();
        } catch (error) {
          failed = true;
          throw error;
        }
      });
    const jobs = [
      ...[...packs].map(([hash, members]) =>
        guarded(async () => {
          await restorePack(ctx, manifest, staging, tools, hash, members);
          for (const file of members) progress.chunkDone(file.path, file.size);
        }),
      ),
      ...chunked.flatMap((file, at) =>
        file.chunks.map((hash, index) =>
          guarded(async () => {
            const length = Math.min(manifest.chunkSize, file.size - index * manifest.chunkSize);
            const one = staged[at] as StagedFile;
            if (hash !== null) await restoreChunk(ctx, manifest, one, tools, file, index, hash, length);
            await one.chunkDone();
            progress.chunkDone(file.path, length);
          }),
        ),
      ),
    ];
    const results = await Promise.allSettled(jobs);
    const failure = results.find((r) => r.status === "rejected");
    if (failure !== undefined) throw failure.reason;
  } finally {
    for (const one of staged) await one.close();
  }
}

/** Hash workers and chunk buffers of one restore, and the dirs of the staging dir made already (relative). */
export interface RestoreTools {
  readonly hashes: HashPool;
  readonly buffers: BufferPool;
  readonly made: Set<string>;
  /** Each file is fsynced when written (few files); otherwise the staging dir is flushed once at the end. */
  readonly syncEach: boolean;
}

// Files written at once from one pack.
const PACK_WRITES = 16;

// Fetches one pack, verifies its sha256 and writes each of its files (with mode and mtime) from its offset.
async function restorePack(
  ctx: EngineContext,
  manifest: Manifest,
  staging: string,
  tools: RestoreTools,
  hash: string,
  members: readonly ManifestFile[],
): Promise<void> {
  const first = members[0] as ManifestFile;
  const chunk = tools.buffers.take();
  try {
    const size = await fetchVerified(ctx, manifest, tools, chunk, hash, first.path);
    const writes = pLimit(PACK_WRITES);
    await Promise.all(
      members.map((file) =>
        writes(async () => {
          const offset = file.packOffset ?? 0;
          if (offset + file.size > size) {
            throw corruptChunk(
              manifest,
              chunkKey(hash, manifest.compression),
              file.path,
              `${size} bytes, ${file.path} ends at ${offset + file.size}`,
            );
          }
          const path = join(staging, file.path);
          const parent = file.path.includes("/") ? file.path.slice(0, file.path.lastIndexOf("/")) : "";
          if (!tools.made.has(parent)) await mkdir(dirname(path), { recursive: true });
          const handle = await open(path, "wx", 0o600);
          try {
            await writeAll(handle, chunk.bytes.subarray(offset, offset + file.size), 0);
            await handle.chmod(file.mode);
            const mtime = new Date(file.mtimeMs);
            await handle.utimes(mtime, mtime);
            if (tools.syncEach) await handle.sync();
          } finally {
            await handle.close();
          }
        }),
      ),
    );
  } finally {
    tools.buffers.give(chunk);
  }
}

// Fetches one chunk into a pooled buffer, verifies its sha256 and writes it in place, one positional write per stretch.
async function restoreChunk(
  ctx: EngineContext,
  manifest: Manifest,
  target: StagedFile,
  tools: RestoreTools,
  file: ManifestFile,
  index: number,
  hash: string,
  length: number,
): Promise<void> {
  const stretches = file.sparse?.[String(index)];
  const chunk = tools.buffers.take();
  try {
    const size = await fetchVerified(ctx, manifest, tools, chunk, hash, file.path);
    const expected = stretches === undefined ? length : stretchBytes(stretches);
    if (size !== expected)
      throw corruptChunk(manifest, chunkKey(hash, manifest.compression), file.path, `${size} bytes, expected ${expected}`);
    const position = index * manifest.chunkSize;
    if (stretches === undefined) await target.write(chunk.bytes.subarray(0, length), position);
    else await target.writeStretches(chunk.bytes.subarray(0, size), stretches, position);
  } finally {
    tools.buffers.give(chunk);
  }
}

function corruptChunk(manifest: Manifest, key: string, path: string, reason: string, cause?: unknown) {
  return BackupErrors.chunkCorrupt(manifest.name, key, path, reason, { cause, details: { chunk: key, file: path } });
}

// Fetches a chunk into `chunk`, checks its sha256 and returns its size (the bytes are the chunk's first `size`).
async function fetchVerified(
  ctx: EngineContext,
  manifest: Manifest,
  tools: RestoreTools,
  chunk: ChunkBuffer,
  hash: string,
  path: string,
): Promise<number> {
  const key = chunkKey(hash, manifest.compression);
  let size: number;
  try {
    size = await fetchChunk(ctx, key, manifest, chunk.bytes);
  } catch (error) {
    if (isManageosError(error) && error.code === StorageErrors.notFound.code) {
      throw BackupErrors.chunkMissing(manifest.name, key, path, { cause: error, details: { chunk: key, file: path } });
    }
    if (isManageosError(error)) throw error;
    throw corruptChunk(manifest, key, path, (error as Error).message, error);
  }
  if (size > chunk.bytes.length) throw corruptChunk(manifest, key, path, `${size} bytes, more than a chunk (${chunk.bytes.length})`);
  const actual = await tools.hashes.hash(chunk, size);
  if (actual !== hash) throw corruptChunk(manifest, key, path, `sha256 ${actual}`);
  return size;
}

// The chunk's bytes, decoded, into `into` (as much as fits); returns their count. Errors of the decoder are thrown as they are.
async function fetchChunk(ctx: EngineContext, key: string, manifest: Manifest, into: Buffer): Promise<number> {
  if (manifest.compression === "none" && ctx.store.getInto !== undefined) return ctx.store.getInto(key, into);
  const stored = await ctx.store.getBytes(key);
  const limit = { maxOutputLength: into.length + 1 };
  const data =
    manifest.compression === "gzip" ? await gunzip(stored, limit) : manifest.compression === "zstd" ? await unzstd(stored, limit) : stored;
  data.copy(into, 0, 0, Math.min(data.length, into.length));
  return data.length;
}

// Granularity of the holes a restore leaves inside a chunk (a multiple of every filesystem block size in use).
const HOLE_GRAIN = 64 * 1024;

/** The [start, end) stretches of `bytes` that are not all zeros, in HOLE_GRAIN steps, adjacent ones merged. */
export function dataRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  let open = -1;
  for (let at = 0; at < bytes.length; at += HOLE_GRAIN) {
    const end = Math.min(at + HOLE_GRAIN, bytes.length);
    const data = !isAllZero(bytes.subarray(at, end));
    if (data && open === -1) open = at;
    if (!data && open !== -1) {
      runs.push([open, at]);
      open = -1;
    }
  }
  if (open !== -1) runs.push([open, bytes.length]);
  return runs;
}
