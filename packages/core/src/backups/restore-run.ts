import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import pLimit from "p-limit";
import { syncPath } from "../fs/atomic-write.js";
import { BufferPool } from "./chunk-io.js";
import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { isUnder } from "./finalizers.js";
import { HashPool } from "./hash-pool.js";
import { compactUtc } from "./layout.js";
import type { Manifest, ManifestFile } from "./manifest.js";
import { type ProgressListener, ProgressTracker } from "./progress.js";
import { restoreFiles } from "./restore-files.js";

export { dataRuns } from "./restore-files.js";

const run = promisify(execFile);

// Packed files from which a restore flushes its staging dir once (syncfs) instead of fsyncing each file.
const SYNCFS_FILES = 256;

/**
 * Restores one backup: downloads every chunk into a staging dir beside `dataDir`, verifies each
 * sha256, then swaps directories. On any failure before the swap the staging dir is removed and
 * `dataDir` is untouched. What `keep` names (the node's finalizer safety data) is the node's own: the
 * backup's copy is never written, and the node's is moved from the old data dir into the new one as it is.
 */
export async function runRestore(
  ctx: EngineContext,
  manifest: Manifest,
  dataDir: string,
  onProgress?: ProgressListener,
  keep: readonly string[] = [],
): Promise<void> {
  const target = resolve(dataDir);
  const stamp = `${compactUtc(ctx.now())}-${randomBytes(3).toString("hex")}`;
  const staging = join(dirname(target), `.${basename(target)}.restore-${stamp}`);
  const kept = (path: string) => keep.some((k) => isUnder(path, k));
  const files = manifest.files.filter((f) => !kept(f.path));
  const dirs = manifest.dirs.filter((d) => !kept(d.path));
  const counts = files.map((f) => ({ path: f.path, chunks: f.chunks.length }));
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ProgressTracker(
    "restored",
    bytes,
    counts.reduce((sum, f) => sum + f.chunks, 0),
    counts,
    onProgress,
  );
  progress.report(`restoring ${manifest.name}: ${files.length} files, ${bytes} bytes`);
  await refuseMountedKeeps(target, keep);
  try {
    await mkdir(dirname(target), { recursive: true });
    await mkdir(staging, { recursive: false, mode: 0o700 });
    for (const dir of dirs) await mkdir(join(staging, dir.path), { recursive: true });
    // Many small files: no fsync each, one flush of the staging dir at the end. Few files: each is fsynced as soon as
    // it is written (a syncfs would also wait for every other writer's dirty data on the filesystem).
    const syncEach = files.filter((f) => f.packOffset !== undefined).length < SYNCFS_FILES;
    const made = new Set(["", ...dirs.map((d) => d.path)]);
    const tools = { hashes: new HashPool(), buffers: new BufferPool(manifest.chunkSize), made, syncEach };
    tools.hashes.warm();
    try {
      await restoreFiles(ctx, manifest, staging, files, tools, progress);
    } finally {
      await tools.hashes.close();
    }
    // Deepest first, so a read-only parent does not stop its children.
    for (const dir of [...dirs].reverse()) await chmod(join(staging, dir.path), dir.mode);
    // Every file and directory is durable before the swap makes any of it the data dir.
    if (syncEach) await syncDirs(staging, dirs);
    else await syncStaging(staging, files, dirs);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  progress.report(`swapping ${manifest.name} into ${target}`);
  await swap(ctx, staging, target, stamp, keep);
}

/**
 * Makes the staging dir durable: one syncfs of its filesystem (`sync -f`, coreutils) flushes every file and
 * directory written; where that cannot run, each file and directory is fsynced, a few at a time.
 */
async function syncStaging(staging: string, files: readonly ManifestFile[], dirs: readonly { path: string }[]): Promise<void> {
  try {
    await run("sync", ["-f", staging], { timeout: 600_000 });
    return;
  } catch (error) {
    // A flush that ran and failed (an I/O error) is final: a second try on new descriptors would not see it.
    if (!cannotRun(error))
      throw BackupErrors.restoreSwap(staging, `cannot flush the restored files: ${(error as Error).message}`, { cause: error });
  }
  const syncs = pLimit(16);
  await Promise.all(files.map((file) => syncs(() => syncPath(join(staging, file.path)))));
  await syncDirs(staging, dirs);
}

// fsyncs every directory of the staging dir, deepest first, and the staging dir.
async function syncDirs(staging: string, dirs: readonly { path: string }[]): Promise<void> {
  for (const dir of [...dirs].reverse()) await syncPath(join(staging, dir.path));
  await syncPath(staging);
}

// True when sync(1) is missing or does not take -f (then each file and directory is fsynced instead).
function cannotRun(error: unknown): boolean {
  const failure = error as NodeJS.ErrnoException & { stderr?: string };
  return failure.code === "ENOENT" || /invalid option|unrecognized option|unknown option|usage/i.test(failure.stderr ?? "");
}

// A kept entry on another filesystem (a mount point) cannot be renamed across: refused before anything is touched.
async function refuseMountedKeeps(target: string, keep: readonly string[]): Promise<void> {
  const root = await stat(target).catch(() => undefined);
  if (root === undefined) return;
  for (const path of keep) {
    const info = await lstat(join(target, path)).catch(() => undefined);
    if (info !== undefined && info.dev !== root.dev) throw BackupErrors.finalizersMount(join(target, path));
  }
}

// data -> data.old-<ts>, staging -> data, the kept entries from data.old-<ts> into data, then the old one goes; a failed
// rename puts data back as it was.
async function swap(ctx: EngineContext, staging: string, target: string, stamp: string, keep: readonly string[]): Promise<void> {
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
  if (hadData && keep.length > 0) await carryKept(ctx, old, target, staging, keep);
  await syncPath(dirname(target));
  if (hadData) {
    await rm(old, { recursive: true, force: true }).catch((error: unknown) =>
      ctx.logger.warn({ err: error, path: old }, "restored, but the previous data dir could not be removed"),
    );
  }
}

// Moves the kept entries of the swapped-out data dir into the restored one, as they are (same inodes: bytes, mode and
// mtime unchanged). On failure the previous data dir goes back in place, kept entries and all.
async function carryKept(ctx: EngineContext, old: string, target: string, staging: string, keep: readonly string[]): Promise<void> {
  const moved: string[] = [];
  try {
    for (const path of keep) {
      const from = join(old, path);
      if (!(await exists(from))) continue;
      const to = join(target, path);
      await mkdir(dirname(to), { recursive: true });
      await rename(from, to);
      moved.push(path);
      await syncPath(dirname(to));
      await syncPath(dirname(from));
    }
  } catch (error) {
    const reason = (error as Error).message;
    try {
      for (const path of moved.reverse()) await rename(join(target, path), join(old, path));
    } catch (back) {
      // Nothing is removed: the kept entries are split between the two dirs, which a person must join.
      ctx.logger.error({ err: back, old, target, keep }, "cannot carry the node's finalizer data into the restored data dir, nor back");
      throw BackupErrors.restoreSwap(
        target,
        `${reason}; ${keep.join(", ")} not carried over: some are in ${old}, leave both dirs as they are`,
        {
          cause: error,
        },
      );
    }
    await rename(target, staging);
    await rename(old, target);
    await syncPath(dirname(target));
    await rm(staging, { recursive: true, force: true });
    throw BackupErrors.restoreSwap(target, `cannot carry ${keep.join(", ")} into the restored data: ${reason}; the previous data is back`, {
      cause: error,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
