import type { StoreBatch } from "../storage/store.js";
import type { BufferPool, ChunkBuffer } from "./chunk-io.js";
import { encodeChunk } from "./chunk-io.js";
import type { EngineContext } from "./context.js";
import type { HashPool } from "./hash-pool.js";
import { chunkKey } from "./layout.js";

/** Upload counters and tools shared by the chunk tasks of one backup run. */
export interface RunState {
  newChunks: number;
  newBytes: number;
  failed: boolean;
  /** Chunk keys known present, or being uploaded, in this run; each promise resolves once the chunk is published. */
  readonly known: Map<string, Promise<void>>;
  readonly batch: StoreBatch;
  readonly hashes: HashPool;
  readonly buffers: BufferPool;
}

/** A promise that is settled already: the chunk was in the store before this run. */
export const PUBLISHED: Promise<void> = Promise.resolve();

/**
 * Hashes the first `length` bytes of a filled chunk buffer and hands them to the store unless this run knows the
 * chunk already; resolves once the bytes are consumed (the buffer may be reused), `published` once the chunk is stored.
 */
export async function storeBuffer(
  ctx: EngineContext,
  state: RunState,
  chunk: ChunkBuffer,
  length: number,
): Promise<{ hash: string; published: Promise<void> }> {
  const hash = await state.hashes.hash(chunk, length);
  const key = chunkKey(hash, ctx.compress);
  let published = state.known.get(key);
  if (published === undefined) {
    const staged = uploadChunk(ctx, key, chunk.bytes.subarray(0, length), state);
    published = staged.then((s) => s.published);
    state.known.set(key, published);
    published.catch(() => state.known.delete(key));
    await staged;
  }
  return { hash, published };
}

// Writes a chunk the store lacks; resolves once `data` is consumed.
async function uploadChunk(ctx: EngineContext, key: string, data: Buffer, state: RunState): Promise<{ published: Promise<void> }> {
  if ((await ctx.store.stat(key)) !== undefined) return { published: PUBLISHED };
  const body = await encodeChunk(data, ctx.compress);
  const staged = await state.batch.put(key, body);
  state.newChunks++;
  state.newBytes += body.length;
  ctx.metrics?.uploadedBytes.inc(body.length);
  return staged;
}
