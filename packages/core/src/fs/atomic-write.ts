import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CoreErrors } from "../errors/core-errors.js";

/** Writes a file so that readers see the old content or the new, never a part: temp, fsync, rename, fsync dir. */
export async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, "wx", 0o644);
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
