import { constants, readFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

// O_DIRECT wants file offsets, lengths and memory aligned to the device's logical block; 4 KiB covers 512 B and 4 KiB.
const GRAIN = 4096;

/**
 * Writes to one file around the page cache (O_DIRECT) where the filesystem, the offset and the memory allow, and
 * through the cache otherwise (unaligned tails, buffers malloc placed anywhere, filesystems without O_DIRECT).
 * Backups and restores write their whole size once: through the cache each byte costs a copy into kernel memory,
 * and the node's own files are pushed out of the cache. Durability is unchanged: the caller still fsyncs, which
 * also flushes the device's write cache.
 */
export class DirectWriter {
  private direct: Promise<FileHandle | undefined> | undefined;
  private cached: Promise<FileHandle> | undefined;

  /** `create`: the file must not exist yet (it is created); otherwise it must exist. */
  constructor(
    private readonly path: string,
    private readonly create: boolean,
  ) {}

  /** Writes all of `bytes` at `position`. */
  async write(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    const aligned = position % GRAIN === 0 ? bytes.length - (bytes.length % GRAIN) : 0;
    const direct = aligned > 0 ? await this.directHandle() : undefined;
    if (direct !== undefined) {
      try {
        await writeAll(direct, bytes.subarray(0, aligned), position);
        done = aligned;
      } catch (error) {
        // The buffer's memory is not aligned: all of it through the cache instead.
        if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
      }
    }
    if (done < bytes.length) await writeAll(await this.cachedHandle(), bytes.subarray(done), position + done);
  }

  /** Closes what was opened. */
  async close(): Promise<void> {
    const handles = [this.direct, this.cached];
    this.direct = undefined;
    this.cached = undefined;
    for (const handle of handles) await (await handle?.catch(() => undefined))?.close();
  }

  // Undefined when the filesystem refuses O_DIRECT (EINVAL: tmpfs, some network filesystems).
  private directHandle(): Promise<FileHandle | undefined> {
    this.direct ??= (async () => {
      const creates = this.create && this.cached === undefined;
      const flags = constants.O_WRONLY | constants.O_DIRECT | (creates ? constants.O_CREAT | constants.O_EXCL : 0);
      try {
        return await open(this.path, flags, 0o644);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EINVAL") return undefined;
        throw error;
      }
    })();
    return this.direct;
  }

  private cachedHandle(): Promise<FileHandle> {
    // Creates the file unless the direct handle did.
    this.cached ??= (async () =>
      this.create && (await this.direct) === undefined ? open(this.path, "wx", 0o644) : open(this.path, "r+"))();
    return this.cached;
  }
}

const WASM_PAGE = 64 * 1024;
// Node has WebAssembly; the ES2023 and Node type libraries do not declare it.
const { Memory } = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer } };
  }
).WebAssembly;

let limitedAddressSpace: boolean | undefined;

// True when the process has an address-space limit (`ulimit -v`, Linux): then reservations must stay small.
function addressSpaceLimited(): boolean {
  if (limitedAddressSpace === undefined) {
    let limits = "";
    try {
      limits = readFileSync("/proc/self/limits", "utf8");
    } catch {}
    const soft = /^Max address space\s+(\S+)/m.exec(limits)?.[1];
    limitedAddressSpace = soft !== undefined && soft !== "unlimited";
  }
  return limitedAddressSpace;
}

/**
 * Shared memory of at least `size` bytes starting on a page boundary, so DirectWriter can write it around the cache.
 * A shared WebAssembly memory is a SharedArrayBuffer that V8 maps on pages of its own, where a plain SharedArrayBuffer
 * starts wherever malloc put it. V8 reserves (but does not touch) about 10 GiB of address space for each, so under
 * an address-space limit (`ulimit -v`), or if the reservation fails, plain shared memory is returned instead, which
 * DirectWriter writes through the cache.
 */
export function pageAlignedMemory(size: number): SharedArrayBuffer {
  if (addressSpaceLimited()) return new SharedArrayBuffer(size);
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE));
  try {
    return new Memory({ initial: pages, maximum: pages, shared: true }).buffer;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return new SharedArrayBuffer(size);
  }
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
