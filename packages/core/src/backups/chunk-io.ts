import type { FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { gzip as gzipCb, zstdCompress as zstdCb } from "node:zlib";
import { pageAlignedMemory } from "../fs/direct-write.js";
import type { Compression } from "./layout.js";

const gzip = promisify(gzipCb);
const zstd = promisify(zstdCb);

/** Fills `buffer` from `offset`; false when the file ends first (it shrank). */
export async function readInto(handle: FileHandle, buffer: Buffer, offset: number): Promise<boolean> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
    if (bytesRead === 0) return false;
    filled += bytesRead;
  }
  return true;
}

/**
 * A reusable chunk buffer over shared memory, which hash workers read without a copy. The memory starts on a page
 * boundary, so the file store can write it to disk bypassing the page cache (O_DIRECT).
 */
export interface ChunkBuffer {
  /** Which pool and slot: workers keep their view of the memory under this id. */
  readonly id: string;
  readonly memory: SharedArrayBuffer;
  /** All of the memory, as a Buffer. */
  readonly bytes: Buffer;
}

let pools = 0;

/** Chunk buffers reused within a run, so a run neither allocates nor collects one per chunk. */
export class BufferPool {
  private readonly free: ChunkBuffer[] = [];
  private readonly pool = pools++;
  private slots = 0;

  constructor(private readonly size: number) {}

  take(): ChunkBuffer {
    const found = this.free.pop();
    if (found !== undefined) return found;
    const memory = pageAlignedMemory(this.size);
    return { id: `${this.pool}:${this.slots++}`, memory, bytes: Buffer.from(memory, 0, this.size) };
  }

  give(buffer: ChunkBuffer): void {
    this.free.push(buffer);
  }
}

let zeros = Buffer.alloc(0);

/** True when every byte is zero (memcmp against a shared zero buffer). */
export function isAllZero(buffer: Uint8Array): boolean {
  if (zeros.length < buffer.length) zeros = Buffer.alloc(buffer.length);
  return zeros.compare(buffer, 0, buffer.length, 0, buffer.length) === 0;
}

/** The bytes to upload for a chunk under a compression. */
export async function encodeChunk(buffer: Buffer, compression: Compression): Promise<Buffer> {
  if (compression === "gzip") return gzip(buffer);
  if (compression === "zstd") return zstd(buffer);
  return buffer;
}
