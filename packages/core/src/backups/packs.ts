import { open } from "node:fs/promises";
import { join } from "node:path";
import pLimit from "p-limit";
import { readInto } from "./chunk-io.js";
import { type RunState, storeBuffer } from "./chunk-upload.js";
import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import type { ManifestFile } from "./manifest.js";
import type { ScannedFile } from "./scan.js";

/**
 * Files this small (at most a sixteenth of a chunk: 1 MiB at the default 16 MiB) are packed, many to a chunk, so a
 * backup and a restore pay neither a stored object nor an fsync per file.
 */
export function isPackable(file: ScannedFile, chunkSize: number): boolean {
  return file.size > 0 && file.size <= Math.floor(chunkSize / 16);
}

/** Groups files, in their order, into packs of at most `chunkSize` bytes. */
export function planPacks(files: readonly ScannedFile[], chunkSize: number): ScannedFile[][] {
  const packs: ScannedFile[][] = [];
  let current: ScannedFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (bytes + file.size > chunkSize && current.length > 0) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += file.size;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}

// Files of one pack read at once: enough to keep the disk and the thread pool busy.
const PACK_READS = 16;

/**
 * Reads the files of one pack back to back into a chunk buffer and stores it as one chunk; returns each file's entry
 * (its one chunk: the pack, at its offset) and when the pack is published.
 */
export async function backupPack(
  ctx: EngineContext,
  dataDir: string,
  files: readonly ScannedFile[],
  state: RunState,
): Promise<{ entries: ManifestFile[]; published: Promise<void> }> {
  const chunk = state.buffers.take();
  try {
    const offsets: number[] = [];
    let length = 0;
    for (const file of files) {
      offsets.push(length);
      length += file.size;
    }
    const reads = pLimit(PACK_READS);
    await Promise.all(
      files.map((file, i) =>
        reads(() => readWhole(join(dataDir, ...file.path.split("/")), chunk.bytes.subarray(offsets[i], (offsets[i] ?? 0) + file.size))),
      ),
    );
    const { hash, published } = await storeBuffer(ctx, state, chunk, length);
    const entries = files.map((file, i) => ({
      path: file.path,
      size: file.size,
      mode: file.mode,
      mtimeMs: file.mtimeMs,
      chunks: [hash],
      packOffset: offsets[i] ?? 0,
    }));
    return { entries, published };
  } finally {
    state.buffers.give(chunk);
  }
}

// Fills `into` with the start of the file; BKP_ERR_SOURCE_CHANGED when it is shorter now.
async function readWhole(path: string, into: Buffer): Promise<void> {
  let complete: boolean;
  try {
    const handle = await open(path, "r");
    try {
      complete = await readInto(handle, into, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw BackupErrors.source(path, (error as Error).message, { cause: error });
  }
  if (!complete) throw BackupErrors.sourceChanged(path);
}
