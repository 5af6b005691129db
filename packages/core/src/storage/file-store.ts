import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isManageosError } from "../errors/manageos-error.js";
import { bodyStream } from "./body.js";
import { StorageErrors } from "./errors.js";
import { assertKey, assertPrefix } from "./keys.js";
import type { PutBody, PutOptions, Store, StoreObject } from "./store.js";

// Partial writes live here until renamed into place; listings never show them.
const TEMP_DIR = ".tmp";

/** A store on a local (or mounted) filesystem: put is temp file + fsync + rename + dir fsync. */
export class FileStore implements Store {
  readonly url: string;

  /** `root` is an absolute directory; it is created on first write. */
  constructor(readonly root: string) {
    this.url = `file://${root}`;
  }

  /** Writes `key` atomically; with `ifAbsent`, a hard link refuses to replace an existing object. */
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const path = this.path(key);
    const tempDir = join(this.root, TEMP_DIR);
    const temp = join(tempDir, `${process.pid}-${randomBytes(8).toString("hex")}`);
    try {
      await mkdir(tempDir, { recursive: true });
      await mkdir(dirname(path), { recursive: true });
      // flush: the stream fsyncs before it closes, so the rename below publishes durable bytes
      await pipeline(bodyStream(body), createWriteStream(temp, { flags: "wx", mode: 0o644, flush: true }));
      if (options.ifAbsent === true) {
        await link(temp, path);
        await unlink(temp);
      } else {
        await rename(temp, path);
      }
      await syncDir(dirname(path));
    } catch (error) {
      await rm(temp, { force: true });
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw StorageErrors.exists(this.keyUrl(key), { cause: error });
      throw this.mapError(key, error);
    }
  }

  /** Opens `key` for reading once the file is open, so absence is reported here. */
  async get(key: string): Promise<Readable> {
    const stream = createReadStream(this.path(key));
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once("open", () => resolve());
        stream.once("error", reject);
      });
    } catch (error) {
      stream.destroy();
      throw this.mapError(key, error);
    }
    return stream;
  }

  /** Reads `key` whole. */
  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      throw this.mapError(key, error);
    }
  }

  /** Size and mtime of `key`, undefined when absent. */
  async stat(key: string): Promise<StoreObject | undefined> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { key, size: info.size, updatedAt: info.mtime } : undefined;
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw this.mapError(key, error);
    }
  }

  /** Every file under the prefix, in key order; partial writes are not listed. */
  async *list(prefix: string): AsyncIterable<StoreObject> {
    assertPrefix(prefix);
    const slash = prefix.lastIndexOf("/");
    const base = slash === -1 ? this.root : join(this.root, prefix.slice(0, slash));
    const found: StoreObject[] = [];
    await this.walk(base, prefix, found);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  /** Removes `key`; absent is fine. */
  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (error) {
      if (isAbsent(error)) return;
      throw this.mapError(key, error);
    }
  }

  /** Removes partial writes older than `before` (left by a killed writer). */
  async sweep(before: Date): Promise<number> {
    const tempDir = join(this.root, TEMP_DIR);
    let removed = 0;
    let names: string[];
    try {
      names = await readdir(tempDir);
    } catch (error) {
      if (isAbsent(error)) return 0;
      throw this.mapError(TEMP_DIR, error);
    }
    for (const name of names) {
      const path = join(tempDir, name);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && info.mtime < before) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  private async walk(dir: string, prefix: string, out: StoreObject[]): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isAbsent(error) || (error as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw this.mapError(prefix, error);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const key = relative(this.root, path).split(sep).join("/");
      if (key === TEMP_DIR) continue;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(path, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await stat(path).catch(() => undefined);
        if (info !== undefined) out.push({ key, size: info.size, updatedAt: info.mtime });
      }
    }
  }

  private path(key: string): string {
    return join(this.root, ...assertKey(key).split("/"));
  }

  private keyUrl(key: string): string {
    return `${this.url.replace(/\/$/, "")}/${key}`;
  }

  private mapError(key: string, error: unknown): Error {
    const code = (error as NodeJS.ErrnoException).code;
    const url = this.keyUrl(key);
    const reason = (error as Error).message;
    if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return StorageErrors.notFound(url, { cause: error });
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") return StorageErrors.auth(url, reason, { cause: error });
    if (isManageosError(error)) return error;
    return StorageErrors.io(url, reason, { cause: error });
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

// A rename is durable only once the directory entry is flushed too.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
