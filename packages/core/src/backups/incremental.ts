import { open } from "node:fs/promises";
import { join } from "node:path";
import { readInto } from "./chunk-io.js";
import { PUBLISHED, type RunState } from "./chunk-upload.js";
import type { EngineContext } from "./context.js";
import { listBackupRefs, readManifest } from "./catalog.js";
import { chunkKey } from "./layout.js";
import type { Manifest, ManifestFile } from "./manifest.js";
import type { ProgressTracker } from "./progress.js";
import type { ScannedFile } from "./scan.js";
import { compactStretches, dataStretches, isWhole, type Stretch } from "./stretches.js";

// What an incremental backup takes over from the previous backup of the chain without reading it again.

/** A file of the previous backup, with the manifest it is in. */
export interface PreviousFile {
  readonly manifest: Manifest;
  readonly file: ManifestFile;
}

/** The chunks of a grown append-only file taken over from its previous backup. */
export interface GrownPrefix {
  readonly chunks: readonly (string | null)[];
  readonly sparse: Readonly<Record<string, Stretch[]>>;
}

// Files of the newest backup of the chain, by path; empty when there is none or it is unreadable.
export async function previousFiles(ctx: EngineContext, chainId: string): Promise<Map<string, PreviousFile>> {
  const out = new Map<string, PreviousFile>();
  try {
    const [newest] = await listBackupRefs(ctx.store, chainId);
    if (newest === undefined) return out;
    const manifest = await readManifest(ctx.store, newest.key);
    for (const file of manifest.files) out.set(file.path, { manifest, file });
  } catch (error) {
    ctx.logger.warn({ err: error, chainId }, "cannot read the previous backup; every file is read again");
  }
  return out;
}

/**
 * A file with the size, mtime and mode it had in the previous backup takes that backup's chunks
 * without being read (rsync's quick check), provided every chunk is still in the store.
 */
export async function reuseUnchanged(
  ctx: EngineContext,
  file: ScannedFile,
  previous: PreviousFile | undefined,
  state: RunState,
  progress: ProgressTracker,
): Promise<ManifestFile | undefined> {
  if (previous === undefined) return undefined;
  const { manifest, file: old } = previous;
  if (manifest.chunkSize !== ctx.chunkSize || manifest.compression !== ctx.compress) return undefined;
  if (old.size !== file.size || old.mtimeMs !== file.mtimeMs || old.mode !== file.mode) return undefined;
  for (const hash of old.chunks) {
    if (hash === null) continue;
    const key = chunkKey(hash, ctx.compress);
    if (!state.known.has(key)) {
      if ((await ctx.store.stat(key)) === undefined) return undefined;
      state.known.set(key, Promise.resolve());
    }
  }
  for (const [index] of old.chunks.entries()) progress.chunkDone(file.path, Math.min(ctx.chunkSize, file.size - index * ctx.chunkSize));
  return {
    path: file.path,
    size: file.size,
    mode: file.mode,
    mtimeMs: file.mtimeMs,
    chunks: [...old.chunks],
    ...(old.sparse === undefined ? {} : { sparse: old.sparse }),
    ...(old.packOffset === undefined ? {} : { packOffset: old.packOffset }),
  };
}

/**
 * For an append-only file that grew: the previous backup's complete chunks, once the last of them
 * hashes the same again and all are still stored; none (read everything) otherwise.
 */
export async function grownPrefix(
  ctx: EngineContext,
  dataDir: string,
  file: ScannedFile,
  previous: PreviousFile | undefined,
  state: RunState,
): Promise<GrownPrefix | undefined> {
  if (previous === undefined) return undefined;
  const { manifest, file: old } = previous;
  if (manifest.chunkSize !== ctx.chunkSize || manifest.compression !== ctx.compress || old.size >= file.size) return undefined;
  if (old.packOffset !== undefined) return undefined;
  const complete = Math.floor(old.size / ctx.chunkSize);
  const prefix = old.chunks.slice(0, complete);
  const last = prefix.at(-1);
  if (complete === 0 || last === undefined) return undefined;
  // Hashed on a worker, while the store is asked for the old chunks.
  const [now, stored] = await Promise.all([
    rehash(ctx, join(dataDir, ...file.path.split("/")), (complete - 1) * ctx.chunkSize, state),
    Promise.all(
      prefix.map(async (chunk) => {
        if (chunk === null) return true;
        const key = chunkKey(chunk, ctx.compress);
        return state.known.has(key) || (await ctx.store.stat(key)) !== undefined;
      }),
    ),
  ]);
  const oldStretches = old.sparse?.[String(complete - 1)];
  if (now === undefined || now.hash !== last || JSON.stringify(now.stretches) !== JSON.stringify(oldStretches) || stored.includes(false))
    return undefined;
  for (const chunk of prefix) if (chunk !== null) state.known.set(chunkKey(chunk, ctx.compress), PUBLISHED);
  const sparse = Object.fromEntries(Object.entries(old.sparse ?? {}).filter(([index]) => Number(index) < complete));
  return { chunks: prefix, sparse };
}

// The chunk at `offset` as the backup would store it now: its hash (null: zeros) and its stretches when it has zero
// stretches; undefined when the file ends before the chunk does.
async function rehash(
  ctx: EngineContext,
  path: string,
  offset: number,
  state: RunState,
): Promise<{ hash: string | null; stretches?: Stretch[] } | undefined> {
  const chunk = state.buffers.take();
  try {
    const handle = await open(path, "r");
    let complete: boolean;
    try {
      complete = await readInto(handle, chunk.bytes.subarray(0, ctx.chunkSize), offset);
    } finally {
      await handle.close();
    }
    if (!complete) return undefined;
    const stretches = dataStretches(chunk.bytes.subarray(0, ctx.chunkSize));
    if (stretches.length === 0) return { hash: null };
    if (isWhole(stretches, ctx.chunkSize)) return { hash: await state.hashes.hash(chunk, ctx.chunkSize) };
    return { hash: await state.hashes.hash(chunk, compactStretches(chunk.bytes, stretches)), stretches };
  } finally {
    state.buffers.give(chunk);
  }
}
