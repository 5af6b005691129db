import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { BackupErrors } from "./errors.js";
import { isUnder } from "./finalizers.js";

/** A regular file found in the data dir. */
export interface ScannedFile {
  /** `/`-separated, relative to the data dir. */
  readonly path: string;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** What a backup covers: directories (so empty ones come back) and regular files, in path order. */
export interface DataDirScan {
  readonly dirs: { path: string; mode: number }[];
  readonly files: ScannedFile[];
  /** Symlinks, sockets and the like, which a backup does not carry. */
  readonly skipped: string[];
}

/**
 * Walks the data dir (only the top-level entries in `paths`, when given; never what `exclude` names, nor anything
 * under it); BKP_ERR_SOURCE when it is missing or unreadable.
 */
export async function scanDataDir(dataDir: string, paths?: readonly string[], exclude: readonly string[] = []): Promise<DataDirScan> {
  const scan: DataDirScan = { dirs: [], files: [], skipped: [] };
  try {
    const root = await lstat(dataDir);
    if (!root.isDirectory()) throw new Error("not a directory");
    await walk(dataDir, "", scan, paths === undefined ? undefined : new Set(paths), exclude);
  } catch (error) {
    throw BackupErrors.source(dataDir, (error as Error).message, { cause: error });
  }
  scan.dirs.sort((a, b) => compare(a.path, b.path));
  scan.files.sort((a, b) => compare(a.path, b.path));
  return scan;
}

async function walk(
  root: string,
  relative: string,
  scan: DataDirScan,
  only: ReadonlySet<string> | undefined,
  exclude: readonly string[],
): Promise<void> {
  const entries = await readdir(relative === "" ? root : join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    if (only !== undefined && !only.has(entry.name)) continue;
    const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (exclude.some((e) => isUnder(path, e))) continue;
    const info = await lstat(join(root, path));
    if (info.isDirectory()) {
      scan.dirs.push({ path, mode: info.mode & 0o7777 });
      await walk(root, path, scan, undefined, exclude);
    } else if (info.isFile()) {
      scan.files.push({ path, size: info.size, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs });
    } else {
      scan.skipped.push(path);
    }
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
