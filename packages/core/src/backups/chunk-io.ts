import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { gzip as gzipCb } from "node:zlib";

const gzip = promisify(gzipCb);

/** Reads exactly `length` bytes at `offset`; fewer means the file shrank. */
export async function readChunk(handle: FileHandle, offset: number, length: number): Promise<Buffer | undefined> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) return undefined;
    filled += bytesRead;
  }
  return buffer;
}

let zeros = Buffer.alloc(0);

/** True when every byte is zero (memcmp against a shared zero buffer). */
export function isAllZero(buffer: Buffer): boolean {
  if (zeros.length < buffer.length) zeros = Buffer.alloc(buffer.length);
  return buffer.equals(zeros.subarray(0, buffer.length));
}

/** Lowercase hex sha256. */
export function sha256(buffer: Uint8Array): string {
  return createHash("sha256").update(buffer).digest("hex");
}

/** The bytes to upload for a chunk under a compression. */
export async function encodeChunk(buffer: Buffer, compression: "none" | "gzip"): Promise<Buffer> {
  return compression === "gzip" ? gzip(buffer) : buffer;
}
