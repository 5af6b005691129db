import { lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import { syncPath } from "../fs/atomic-write.js";

/** What an interrupted restore left beside the data dir, and what became of it. */
export interface RestoreLeftovers {
  /** Directories removed, with the disk space each held (allocated bytes: holes of sparse files do not count). */
  readonly removed: { readonly path: string; readonly bytes: number }[];
  /** Sum of `removed[].bytes`. */
  readonly bytes: number;
  /** The previous data dir put back in place, when a restore was killed between its two renames. */
  readonly putBack: string | undefined;
  /** Kept entries (the node's finalizer safety data) moved from a swapped-out dir into the data dir: a restore was killed before it carried them. */
  readonly carried: { readonly path: string; readonly from: string }[];
}

// The names runRestore gives them: `.<data>.restore-<stamp>` (staging) and `<data>.old-<stamp>` (the swapped-out data).
const STAMP = String.raw`\d{8}T\d{6}Z-[0-9a-f]{6}`;

/**
 * Clears what killed restores left beside `dataDir`: staging dirs (as large as a data dir each) and
 * swapped-out data dirs. When the data dir itself is missing and a swapped-out one exists, the restore
 * was killed between its renames: the newest swapped-out dir is the untouched previous data and is put
 * back instead of removed. When the data dir lacks an entry of `keep` (the node's finalizer safety data) that a
 * swapped-out dir holds, the restore was killed after its swap and before it carried it over: it is moved into the
 * data dir, as it is, before that dir goes. Runs before the node starts; logs what it did at info (warn for a put
 * back or a carry).
 */
export async function cleanRestoreLeftovers(
  dataDir: string,
  logger: Logger,
  options: { keep?: readonly string[] } = {},
): Promise<RestoreLeftovers> {
  const target = resolve(dataDir);
  const parent = dirname(target);
  const name = escapeRegExp(basename(target));
  const staging = new RegExp(`^\\.${name}\\.restore-${STAMP}$`);
  const old = new RegExp(`^${name}\\.old-${STAMP}$`);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { removed: [], bytes: 0, putBack: undefined, carried: [] };
    throw error;
  }
  const stagingDirs = entries.filter((e) => staging.test(e)).map((e) => join(parent, e));
  // Stamps start with the UTC time: sorted names are oldest first.
  const oldDirs = entries
    .filter((e) => old.test(e))
    .sort()
    .map((e) => join(parent, e));
  let putBack: string | undefined;
  const newestOld = oldDirs.at(-1);
  if (newestOld !== undefined && !(await exists(target))) {
    await rename(newestOld, target);
    await syncPath(parent);
    oldDirs.pop();
    putBack = newestOld;
    logger.warn({ from: newestOld, dataDir: target }, "a restore was killed while swapping directories: the previous data dir is put back");
  }
  const carried: { path: string; from: string }[] = [];
  if (await exists(target)) {
    for (const path of options.keep ?? []) {
      if (await exists(join(target, path))) continue;
      // Newest first: an older swapped-out dir's copy, if any, is not the node's latest.
      for (const from of [...oldDirs].reverse()) {
        if (!(await exists(join(from, path)))) continue;
        await mkdir(dirname(join(target, path)), { recursive: true });
        await rename(join(from, path), join(target, path));
        await syncPath(dirname(join(target, path)));
        carried.push({ path, from });
        logger.warn(
          { path, from, dataDir: target },
          "a restore was killed before it carried the node's finalizer data over: moved back in",
        );
        break;
      }
    }
  }
  const removed: { path: string; bytes: number }[] = [];
  for (const path of [...stagingDirs, ...oldDirs]) {
    const bytes = await diskUsage(path);
    await rm(path, { recursive: true, force: true });
    removed.push({ path, bytes });
  }
  const bytes = removed.reduce((sum, r) => sum + r.bytes, 0);
  if (removed.length > 0) {
    logger.info({ dataDir: target, removed, bytes }, `removed ${removed.length} dir(s) of interrupted restores (${bytes} bytes)`);
  }
  return { removed, bytes, putBack, carried };
}

// Allocated bytes under `path` (du), not following symlinks.
async function diskUsage(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return 0;
  let bytes = info.blocks * 512;
  if (info.isDirectory()) {
    for (const entry of await readdir(path).catch(() => [] as string[])) bytes += await diskUsage(join(path, entry));
  }
  return bytes;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
