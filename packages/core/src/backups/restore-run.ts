import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm, stat, utimes } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pLimit from "p-limit";
import { isManageosError } from "../errors/manageos-error.js";
import { StorageErrors } from "../storage/errors.js";
import { compactUtc } from "./layout.js";
import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { chunkKey } from "./layout.js";
import type { Manifest, ManifestFile } from "./manifest.js";
import { type ProgressListener, ProgressTracker } from "./progress.js";

/**
 * Restores one backup: downloads every chunk into a staging dir beside `dataDir`, verifies each
 * sha256, then swaps directories. On any failure before the swap the staging dir is removed and
 * `dataDir` is untouched.
 */
export async function runRestore(ctx: EngineContext, manifest: Manifest, dataDir: string, onProgress?: ProgressListener): Promise<void> {
  const target = resolve(dataDir);
  const stamp = `${compactUtc(ctx.now())}-${randomBytes(3).toString("hex")}`;
  const staging = join(dirname(target), `.${basename(target)}.restore-${stamp}`);
  const counts = manifest.files.map((f) => ({ path: f.path, chunks: f.chunks.length }));
  const progress = new ProgressTracker("restored", manifest.totals.bytes, manifest.totals.chunks, counts, onProgress);
  progress.report(`restoring ${manifest.name}: ${manifest.files.length} files, ${manifest.totals.bytes} bytes`);
  try {
    await mkdir(dirname(target), { recursive: true });
    await mkdir(staging, { recursive: false, mode: 0o700 });
    for (const dir of manifest.dirs) await mkdir(join(staging, dir.path), { recursive: true });
    // Every file gets its full size first: chunks are written in place, null chunks stay holes.
    for (const file of manifest.files) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, "w", 0o600);
      try {
        await handle.truncate(file.size);
      } finally {
        await handle.close();
      }
    }
    const limit = pLimit(ctx.parallel);
    let failed = false;
    await Promise.all(
      manifest.files.flatMap((file) =>
        file.chunks.map((hash, index) =>
          limit(async () => {
            if (failed) return;
            const length = Math.min(manifest.chunkSize, file.size - index * manifest.chunkSize);
            try {
              if (hash !== null) await restoreChunk(ctx, manifest, staging, file, index, hash, length);
            } catch (error) {
              failed = true;
              throw error;
            }
            progress.chunkDone(file.path, length);
          }),
        ),
      ),
    );
    for (const file of manifest.files) await finishFile(join(staging, file.path), file);
    // Deepest first, so a read-only parent does not stop its children.
    for (const dir of [...manifest.dirs].reverse()) await chmod(join(staging, dir.path), dir.mode);
    await syncPath(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  progress.report(`swapping ${manifest.name} into ${target}`);
  await swap(ctx, staging, target, stamp);
}

// Streams one chunk into place at its offset, hashing as it goes.
async function restoreChunk(
  ctx: EngineContext,
  manifest: Manifest,
  staging: string,
  file: ManifestFile,
  index: number,
  hash: string,
  length: number,
): Promise<void> {
  const key = chunkKey(hash, manifest.compression);
  let source: import("node:stream").Readable;
  try {
    source = await ctx.store.get(key);
  } catch (error) {
    if (isManageosError(error) && error.code === StorageErrors.notFound.code) {
      throw BackupErrors.chunkMissing(manifest.name, key, file.path, { cause: error, details: { chunk: key, file: file.path } });
    }
    throw error;
  }
  const handle = await open(join(staging, file.path), "r+");
  const digest = createHash("sha256");
  let written = 0;
  const offset = index * manifest.chunkSize;
  const sink = new Writable({
    write(data: Buffer, _encoding, callback) {
      if (written + data.length > length) {
        callback(new Error(`more than ${length} bytes`));
        return;
      }
      digest.update(data);
      handle.write(data, 0, data.length, offset + written).then(
        () => callback(),
        (error: unknown) => callback(error as Error),
      );
      written += data.length;
    },
  });
  try {
    const stages = manifest.compression === "gzip" ? [source, createGunzip(), sink] : [source, sink];
    await pipeline(stages);
  } catch (error) {
    if (isManageosError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EIO" || code === "EDQUOT") throw error;
    throw BackupErrors.chunkCorrupt(manifest.name, key, file.path, (error as Error).message, { cause: error, details: { chunk: key, file: file.path } });
  } finally {
    await handle.close();
  }
  const actual = digest.digest("hex");
  if (written !== length || actual !== hash) {
    const reason = written !== length ? `${written} bytes, expected ${length}` : `sha256 ${actual}`;
    throw BackupErrors.chunkCorrupt(manifest.name, key, file.path, reason, { details: { chunk: key, file: file.path } });
  }
}

// Mode, mtime and fsync once every chunk of a file is in.
async function finishFile(path: string, file: ManifestFile): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, file.mode);
  const mtime = new Date(file.mtimeMs);
  await utimes(path, mtime, mtime);
}

// data -> data.old-<ts>, staging -> data, then the old one goes; a failed second rename puts data back.
async function swap(ctx: EngineContext, staging: string, target: string, stamp: string): Promise<void> {
  const old = `${target}.old-${stamp}`;
  const hadData = await stat(target).then(
    () => true,
    () => false,
  );
  try {
    if (hadData) await rename(target, old);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw BackupErrors.restoreSwap(target, (error as Error).message, { cause: error });
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (hadData) await rename(old, target).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw BackupErrors.restoreSwap(target, (error as Error).message, { cause: error });
  }
  await syncPath(dirname(target));
  if (hadData) {
    await rm(old, { recursive: true, force: true }).catch((error: unknown) =>
      ctx.logger.warn({ err: error, path: old }, "restored, but the previous data dir could not be removed"),
    );
  }
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
