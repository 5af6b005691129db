import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Store } from "../../src/index.js";

/** A random buffer made of `chunks` distinct pieces of `chunkSize` bytes (no zero chunk, no repeat). */
export function randomChunks(chunks: number, chunkSize: number): Buffer {
  return randomBytes(chunks * chunkSize);
}

/** Writes files (relative path -> content) under `dir`, creating parents. */
export async function writeTree(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** path -> "size:mode:sha256" for every regular file, and "dir" for every directory, under `dir`. */
export async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(relative: string): Promise<void> {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        out[path] = "dir";
        await walk(path);
      } else {
        const info = await stat(join(dir, path));
        const hash = createHash("sha256")
          .update(await readFile(join(dir, path)))
          .digest("hex");
        out[path] = `${info.size}:${(info.mode & 0o777).toString(8)}:${hash}`;
      }
    }
  }
  await walk("");
  return out;
}

/** Every chunk object in a store: key -> stored size. */
export async function storedChunks(store: Store): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const object of store.list("chunks/")) out.set(object.key, object.size);
  return out;
}

/** Sum of stored chunk sizes. */
export async function storedChunkBytes(store: Store): Promise<number> {
  let sum = 0;
  for (const size of (await storedChunks(store)).values()) sum += size;
  return sum;
}

/** Keys under a prefix. */
export async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const object of store.list(prefix)) out.push(object.key);
  return out;
}
