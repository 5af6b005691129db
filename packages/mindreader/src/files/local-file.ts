import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";

const gunzipAsync = promisify(gunzip);
const TEMP = /^\..+\.tmp$/;

/**
 * Writes a work-dir file through a temp file and a rename: readers and a restarted manageos see all of it or none.
 * No fsync: at thousands of blocks a second one per file would cap the reader at the disk's flush rate. Durability
 * is the block store's job; what a machine crash may leave half-written is caught by `isIntactGzip` at start.
 */
export async function writeLocalFile(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Removes the temp files an interrupted `writeLocalFile` left in `dir`. */
export async function removeTempFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) if (TEMP.test(name)) await rm(join(dir, name), { force: true });
}

/** True when the file is a complete gzip stream (every member decodes, checksums included). */
export async function isIntactGzip(path: string): Promise<boolean> {
  const bytes = await readFile(path).catch(() => undefined);
  return bytes !== undefined && (await isGzip(bytes));
}

/** True when the bytes are a complete gzip stream (every member decodes, checksums included). */
export async function isGzip(bytes: Uint8Array): Promise<boolean> {
  if (bytes.length === 0) return false;
  try {
    await gunzipAsync(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Moves a damaged file to `<dir>/<name>` (created as needed), out of the way of uploads but kept for a person. */
export async function setAside(path: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, basename(path));
  await rename(path, target);
  return target;
}
