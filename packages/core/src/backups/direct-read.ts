import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { readInto } from "./chunk-io.js";

const run = promisify(execFile);

const GRAIN = 4096;

// A file whose data is at least this much in the page cache is read through it: from memory, not from the disk.
const CACHED_ENOUGH = 0.5;
// Below this size a file is read around the cache without asking: `fincore` costs a process (a few ms), worth it only
// for a read that takes far longer.
const ASK_FROM_BYTES = 64 * 1024 * 1024;

/**
 * Reads chunks of one file around the page cache (O_DIRECT) where the filesystem, the offset and the memory allow,
 * and through the cache otherwise. A backup reads each byte once: through the cache, a cold read costs the kernel a
 * copy into cache pages first (on the machines we measure, 1.9 s of CPU per GiB against 0.05 s direct), CPU the
 * hashing needs when the other cores are busy; it also keeps the node's own cached pages in the cache.
 */
export class ChunkReader {
  private direct: Promise<FileHandle | undefined> | undefined;
  private cached: Promise<FileHandle> | undefined;
  private directRefused: boolean;

  /** `direct: false` reads through the cache only (data likely cached: what the node wrote since the last backup). */
  constructor(
    private readonly path: string,
    direct = true,
  ) {
    this.directRefused = !direct;
  }

  /**
   * Fills the first `length` bytes of `buffer` from `offset`; false when the file ends first. Bytes of `buffer` past
   * `length` (up to the next 4 KiB) may be overwritten.
   */
  async read(buffer: Buffer, offset: number, length: number): Promise<boolean> {
    const rounded = Math.ceil(length / GRAIN) * GRAIN;
    const handle = offset % GRAIN === 0 && rounded <= buffer.length ? await this.directHandle() : undefined;
    if (handle !== undefined) {
      try {
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, rounded - filled, offset + filled);
          if (bytesRead === 0) return false;
          filled += bytesRead;
          // A short read off the grain (rare): the rest through the cache.
          if (filled < length && filled % GRAIN !== 0)
            return readInto(await this.cachedHandle(), buffer.subarray(filled, length), offset + filled);
        }
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
        // Memory not aligned (plain shared memory under `ulimit -v`) or a filesystem that takes O_DIRECT at open only.
        this.directRefused = true;
      }
    }
    return readInto(await this.cachedHandle(), buffer.subarray(0, length), offset);
  }

  /** Reads the chunks asked for from now on through the cache (the file turned out to be cached). */
  throughCache(): void {
    this.directRefused = true;
  }

  /** Closes what was opened. */
  async close(): Promise<void> {
    const handles = [this.direct, this.cached];
    this.direct = undefined;
    this.cached = undefined;
    for (const handle of handles) await (await handle?.catch(() => undefined))?.close();
  }

  private async directHandle(): Promise<FileHandle | undefined> {
    if (this.directRefused) return undefined;
    this.direct ??= open(this.path, constants.O_RDONLY | constants.O_DIRECT).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EINVAL") return undefined;
      throw error;
    });
    return this.direct;
  }

  private cachedHandle(): Promise<FileHandle> {
    this.cached ??= open(this.path, "r");
    return this.cached;
  }
}

/**
 * Whether a backup should read a file around the page cache (O_DIRECT). Not when most of its data is cached already
 * (the node's state file just after it stopped, say): a direct read goes to the disk (1 GiB in about 1 s on the machines
 * we measure), a cached one is a copy from memory (0.1 s), and costs the kernel no copy into cache pages.
 */
export async function readsAroundCache(path: string, size: number, command = "fincore"): Promise<boolean> {
  if (size < ASK_FROM_BYTES) return true;
  const share = await cachedShare(path, command);
  return share === undefined || share < CACHED_ENOUGH;
}

/**
 * The share of a file's data (its allocated blocks, so that a sparse file's holes do not count) held in the page
 * cache, as util-linux's `fincore` reads it (mincore(2) over the file); undefined where that cannot be told: no
 * `fincore`, an error, or nothing allocated.
 */
export async function cachedShare(path: string, command = "fincore"): Promise<number | undefined> {
  const [resident, info] = await Promise.all([residentBytes(path, command), stat(path).catch(() => undefined)]);
  if (resident === undefined || info === undefined) return undefined;
  const data = Math.min(info.size, info.blocks * 512);
  return data > 0 ? Math.min(1, resident / data) : undefined;
}

// The bytes of the file in the page cache (`fincore`'s RES); undefined when fincore fails or prints anything else.
async function residentBytes(path: string, command: string): Promise<number | undefined> {
  let stdout: string;
  try {
    ({ stdout } = await run(command, ["--bytes", "--noheadings", "--raw", "--output", "RES", "--", path], {
      timeout: 10_000,
      maxBuffer: 4096,
    }));
  } catch {
    return undefined;
  }
  const text = stdout.trim();
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
