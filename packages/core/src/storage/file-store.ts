import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pLimit from "p-limit";
import { isManageosError } from "../errors/manageos-error.js";
import { syncPath } from "../fs/atomic-write.js";
import { DirectWriter, writeAll } from "../fs/direct-write.js";
import { bodyStream, isRepeatable } from "./body.js";
import { StorageErrors } from "./errors.js";
import { assertKey, assertPrefix } from "./keys.js";
import { DEFAULT_RETRY, type RetryPolicy, TransientError, withRetry } from "./retry.js";
import type { PutBody, PutOptions, Store, StoreBatch, StoreObject } from "./store.js";

// Partial writes live here until renamed into place; listings never show them.
const TEMP_DIR = ".tmp";
// fsyncs a batch runs at once: enough to keep the disk busy, few enough to leave libuv threads for reads and writes.
const BATCH_SYNCS = 2;

/**
 * Errors of a filesystem that a later attempt may not meet: I/O errors of network filesystems (EIO,
 * ESTALE, ETIMEDOUT), a busy or interrupted call, descriptors exhausted for a moment. A full disk
 * (ENOSPC, EDQUOT) is not among them: it does not free itself while a retry waits.
 */
export const FILE_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "EIO",
  "EAGAIN",
  "EBUSY",
  "EINTR",
  "ETIMEDOUT",
  "ESTALE",
  "EMFILE",
  "ENFILE",
]);

/** How a file:// store retries (config `storage.retries`); DEFAULT_RETRY when absent. */
export interface FileStoreOptions {
  readonly retry?: RetryPolicy;
}

/**
 * A store on a local (or mounted) filesystem: put is temp file + fsync + rename + dir fsync.
 * Transient errors are retried with a fresh temp file each time, never by fsyncing again a file
 * whose fsync failed (its dirty pages may be gone while a second fsync succeeds).
 */
export class FileStore implements Store {
  readonly url: string;
  private readonly retry: RetryPolicy;

  /** `root` is an absolute directory; it is created on first write. */
  constructor(
    readonly root: string,
    options: FileStoreOptions = {},
  ) {
    this.url = `file://${root}`;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /** Writes `key` atomically; with `ifAbsent`, a hard link refuses to replace an existing object. A plain stream is tried once. */
  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const path = this.path(key);
    const policy = isRepeatable(body) ? this.retry : { ...this.retry, retries: 0 };
    const dirs = await withRetry(this.keyUrl(key), policy, async () => {
      const temp = this.tempPath();
      try {
        const created = await this.prepareDirs(path);
        if (typeof body === "string" || body instanceof Uint8Array) {
          await writeNew(temp, typeof body === "string" ? Buffer.from(body) : body);
        } else {
          // flush: the stream fsyncs before it closes, so the rename below publishes durable bytes
          await pipeline(bodyStream(body), createWriteStream(temp, { flags: "wx", mode: 0o644, flush: true }));
        }
        if (options.ifAbsent === true) {
          await link(temp, path);
          // Published: a temp name left behind is swept later, the put is not failed for it.
          await unlink(temp).catch(() => undefined);
        } else {
          await rename(temp, path);
        }
        return created;
      } catch (error) {
        await rm(temp, { force: true });
        if ((error as NodeJS.ErrnoException).code === "EEXIST") throw StorageErrors.exists(this.keyUrl(key), { cause: error });
        throw this.mapError(key, error);
      }
    });
    try {
      for (const dir of dirs) await syncPath(dir);
    } catch (error) {
      throw this.mapFinal(key, error);
    }
  }

  /**
   * Writes many objects, each published (renamed into place) only once its content is fsynced, with
   * the directory entries fsynced once per directory at commit instead of once per object.
   */
  batch(): StoreBatch {
    const syncs = pLimit(BATCH_SYNCS);
    const pending: Promise<void>[] = [];
    const dirs = new Set<string>();
    return {
      put: async (key, body) => {
        const path = this.path(key);
        const temp = await withRetry(this.keyUrl(key), this.retry, async () => {
          const attempt = this.tempPath();
          try {
            for (const dir of await this.prepareDirs(path)) dirs.add(dir);
            // Chunks are written once and read rarely: around the page cache where possible.
            const writer = new DirectWriter(attempt, true);
            try {
              await writer.write(body, 0);
            } finally {
              await writer.close();
            }
            return attempt;
          } catch (error) {
            await rm(attempt, { force: true });
            throw this.mapError(key, error);
          }
        });
        // The body may be reused once put resolves: a failed fsync cannot be retried with a new file, so it is final.
        const published = syncs(async () => {
          try {
            await syncPath(temp);
            await rename(temp, path);
          } catch (error) {
            await rm(temp, { force: true });
            throw this.mapFinal(key, error);
          }
        });
        // Failures reach the caller through `published` and commit; never as an unhandled rejection.
        published.catch(() => undefined);
        pending.push(published);
        return { published };
      },
      commit: async () => {
        await Promise.all(pending);
        const touched = [...dirs];
        dirs.clear();
        await Promise.all(touched.map((dir) => syncs(() => syncPath(dir)))).catch((error: unknown) => {
          throw this.mapFinal("chunks", error);
        });
      },
      drain: async () => {
        await Promise.allSettled(pending);
      },
    };
  }

  /** Opens `key` for reading once the file is open, so absence is reported here. */
  async get(key: string): Promise<Readable> {
    const path = this.path(key);
    return this.retrying(key, async () => {
      const stream = createReadStream(path);
      try {
        await new Promise<void>((resolve, reject) => {
          stream.once("open", () => resolve());
          stream.once("error", reject);
        });
      } catch (error) {
        stream.destroy();
        throw error;
      }
      return stream;
    });
  }

  /** Reads `key` whole, in one read where the OS allows. */
  async getBytes(key: string): Promise<Buffer> {
    return this.read(key, (size) => Buffer.allocUnsafe(size));
  }

  /** Reads `key` into `into` (as much as fits) and returns its size. */
  async getInto(key: string, into: Uint8Array): Promise<number> {
    let size = 0;
    await this.read(key, (found) => {
      size = found;
      return into.subarray(0, Math.min(found, into.length));
    });
    return size;
  }

  /** Size and mtime of `key`, undefined when absent. */
  async stat(key: string): Promise<StoreObject | undefined> {
    const path = this.path(key);
    return this.retrying(key, async () => {
      try {
        const info = await stat(path);
        return info.isFile() ? { key, size: info.size, updatedAt: info.mtime } : undefined;
      } catch (error) {
        if (isAbsent(error)) return undefined;
        throw error;
      }
    });
  }

  /** Every file under the prefix, in key order; partial writes are not listed. */
  async *list(prefix: string): AsyncIterable<StoreObject> {
    assertPrefix(prefix);
    const slash = prefix.lastIndexOf("/");
    const base = slash === -1 ? this.root : join(this.root, prefix.slice(0, slash));
    const found = await this.retrying(prefix, async () => {
      const out: StoreObject[] = [];
      await this.walk(base, prefix, out);
      return out;
    });
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  /** Removes `key`; absent is fine. */
  async delete(key: string): Promise<void> {
    const path = this.path(key);
    await this.retrying(key, async () => {
      try {
        await unlink(path);
      } catch (error) {
        if (!isAbsent(error)) throw error;
      }
    });
  }

  /** Removes partial writes older than `before` (left by a killed writer). */
  async sweep(before: Date): Promise<number> {
    const stale = await this.partials(before);
    for (const partial of stale) await rm(join(this.root, ...partial.key.split("/")), { force: true });
    return stale.length;
  }

  /** Partial writes older than `before`, as `.tmp/<name>` keys; they are never listed otherwise. */
  async partials(before: Date): Promise<StoreObject[]> {
    const tempDir = join(this.root, TEMP_DIR);
    const names = await this.retrying(TEMP_DIR, async () => {
      try {
        return await readdir(tempDir);
      } catch (error) {
        if (isAbsent(error)) return [];
        throw error;
      }
    });
    const found: StoreObject[] = [];
    for (const name of names.sort()) {
      const info = await stat(join(tempDir, name)).catch(() => undefined);
      if (info !== undefined && info.mtime < before) found.push({ key: `${TEMP_DIR}/${name}`, size: info.size, updatedAt: info.mtime });
    }
    return found;
  }

  private async walk(dir: string, prefix: string, out: StoreObject[]): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isAbsent(error) || (error as NodeJS.ErrnoException).code === "ENOTDIR") return;
      throw error;
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

  // Opens `key`, asks for a buffer given its size, fills it with positional reads and returns it.
  private async read<T extends Uint8Array>(key: string, buffer: (size: number) => T): Promise<T> {
    const path = this.path(key);
    return this.retrying(key, async () => {
      const handle = await open(path, "r");
      try {
        const { size } = await handle.stat();
        const into = buffer(size);
        let filled = 0;
        while (filled < into.length) {
          const { bytesRead } = await handle.read(into, filled, into.length - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return (filled === into.length ? into : into.subarray(0, filled)) as T;
      } finally {
        await handle.close();
      }
    });
  }

  // Runs `op`, mapping its errors and retrying the transient ones with the store's policy.
  private retrying<T>(key: string, op: () => Promise<T>): Promise<T> {
    return withRetry(this.keyUrl(key), this.retry, async () => {
      try {
        return await op();
      } catch (error) {
        throw this.mapError(key, error);
      }
    });
  }

  private tempPath(): string {
    return join(this.root, TEMP_DIR, `${process.pid}-${randomBytes(8).toString("hex")}`);
  }

  // Creates the temp dir and the object's parents; returns the directories whose entries a publish must fsync.
  private async prepareDirs(path: string): Promise<string[]> {
    await mkdirs(join(this.root, TEMP_DIR));
    const parent = dirname(path);
    const created = await mkdirs(parent);
    const dirs = [parent];
    // New parents are entries in their own parents: those must be durable too.
    if (created !== undefined) {
      for (let dir = parent; dir !== dirname(created); dir = dirname(dir)) dirs.push(dirname(dir));
    }
    return dirs;
  }

  private path(key: string): string {
    return join(this.root, ...assertKey(key).split("/"));
  }

  private keyUrl(key: string): string {
    return `${this.url.replace(/\/$/, "")}/${key}`;
  }

  // errno -> our code, or TransientError for the retry loop.
  private mapError(key: string, error: unknown): Error {
    if (isManageosError(error) || error instanceof TransientError) return error;
    const code = (error as NodeJS.ErrnoException).code;
    const url = this.keyUrl(key);
    const reason = (error as Error).message;
    if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return StorageErrors.notFound(url, { cause: error });
    if (code === "EROFS") return StorageErrors.readOnly(url, reason, { cause: error });
    if (code === "EACCES" || code === "EPERM") return StorageErrors.permission(url, reason, { cause: error });
    if (code === "ENOSPC" || code === "EDQUOT") return StorageErrors.noSpace(url, reason, { cause: error });
    if (code !== undefined && FILE_TRANSIENT_CODES.has(code)) return new TransientError(`${code}: ${reason}`, { cause: error });
    return StorageErrors.io(url, reason, { cause: error });
  }

  // As mapError, for a step that is not retried: a transient code is reported as an I/O error.
  private mapFinal(key: string, error: unknown): Error {
    const mapped = this.mapError(key, error);
    return mapped instanceof TransientError ? StorageErrors.io(this.keyUrl(key), mapped.reason, { cause: error }) : mapped;
  }
}

// mkdir -p. Node reports some failures of a recursive mkdir (EROFS among them) as ENOENT: the first missing
// directory is then made alone, which fails with the real reason.
async function mkdirs(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    let missing = dir;
    while (dirname(missing) !== missing && (await stat(dirname(missing)).catch(() => undefined)) === undefined) missing = dirname(missing);
    await mkdir(missing);
    return mkdir(dir, { recursive: true });
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

// Writes all of `bytes` to a new file, fsynced before close.
async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, "wx", 0o644);
  try {
    await writeAll(handle, bytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
