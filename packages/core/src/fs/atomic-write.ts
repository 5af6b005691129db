import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CoreErrors } from "../errors/core-errors.js";

/** Mode of the files manageos writes: state, the ConfigMap copy and config.ini can hold a token or key material. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of the directories manageos creates for them. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Writes a file so that readers see the old content or the new, never a part: temp, fsync, rename, fsync dir.
 * The file is `mode` (default owner-only, 0600); missing directories are created owner-only (0700).
 */
export async function atomicWrite(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  try {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const handle = await open(temp, "wx", mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncPath(dir);
  } catch (error) {
    await rm(temp, { force: true });
    throw CoreErrors.atomicWrite(path, (error as Error).message, { cause: error });
  }
}

/**
 * Creates a directory of manageos' own state owner-only (0700), and takes group and other access away from one that
 * exists (written by an older version); returns false when that is not allowed (the directory is someone else's).
 */
export async function privateDir(dir: string): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (((await stat(dir)).mode & 0o077) === 0) return true;
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EPERM") return false;
    throw error;
  }
}

/** Atomic write of a value as pretty JSON. */
export async function atomicWriteJson(path: string, value: unknown): Promise<void> {
  await atomicWrite(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON state file; undefined when absent, a coded error when it is not JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw CoreErrors.jsonFileCorrupt(path, (error as Error).message, { cause: error });
  }
}

/**
 * fsyncs a file (its content and metadata) or a directory (its entries: a rename or a new file is durable only once
 * its directory is).
 */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
