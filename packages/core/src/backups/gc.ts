import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { chunkKey, parseChunkKey } from "./layout.js";
import { listBackupRefs, readManifests } from "./catalog.js";
import { describeMarkers, type OwnMarker, putMarker, readMarkers, releaseMarker } from "./locks.js";

/** What gc did. */
export interface GcResult {
  readonly removedChunks: number;
  readonly removedBytes: number;
  readonly keptChunks: number;
  /** Unreferenced chunks left because they are younger than the grace period. */
  readonly youngOrphans: number;
  /** Partial uploads removed (file:// only). */
  readonly sweptPartials: number;
  readonly removedMarkers: number;
}

/** Options of one gc run. */
export interface GcOptions {
  /** Overrides the engine's grace period (0 in tests). */
  readonly graceMs?: number;
}

/**
 * Removes chunks no manifest references. Refuses while a backup is running (a live marker in
 * `locks/`) and leaves chunks younger than the grace period; an unreadable manifest stops it.
 */
export async function runGc(ctx: EngineContext, options: GcOptions = {}): Promise<GcResult> {
  const now = ctx.now();
  const graceMs = options.graceMs ?? ctx.gcGraceMs;
  const own = await putMarker(ctx.store, "gc", "*", ctx.hostname, now);
  try {
    return await collect(ctx, now, graceMs, own);
  } finally {
    await releaseMarker(ctx.store, own, ctx.logger);
  }
}

// The gc proper, once our marker is written: refuse if a backup is live, else sweep.
async function collect(ctx: EngineContext, now: Date, graceMs: number, own: OwnMarker): Promise<GcResult> {
  const markers = await readMarkers(ctx.store, "backup", now, ctx.staleBackupMs, ctx.hostname);
  if (markers.active.length > 0) {
    throw BackupErrors.busy(`a backup is running (${describeMarkers(markers.active)})`, { details: { markers: markers.active.map((m) => m.key) } });
  }
  const gcMarkers = await readMarkers(ctx.store, "gc", now, ctx.staleGcMs, ctx.hostname);
  const otherGc = gcMarkers.active.filter((m) => m.key !== own.key);
  if (otherGc.length > 0) throw BackupErrors.busy(`another gc is running (${describeMarkers(otherGc)})`);
  const refs = await listBackupRefs(ctx.store);
  const manifests = await readManifests(ctx.store, refs.map((r) => r.key), ctx.parallel);
  const referenced = new Set<string>();
  for (const manifest of manifests) {
    for (const file of manifest.files) {
      for (const hash of file.chunks) if (hash !== null) referenced.add(chunkKey(hash, manifest.compression));
    }
  }
  let removedChunks = 0;
  let removedBytes = 0;
  let keptChunks = 0;
  let youngOrphans = 0;
  for await (const object of ctx.store.list("chunks/")) {
    if (parseChunkKey(object.key) === undefined) continue;
    if (referenced.has(object.key)) {
      keptChunks++;
      continue;
    }
    const age = now.getTime() - (object.updatedAt?.getTime() ?? now.getTime());
    if (age < graceMs) {
      youngOrphans++;
      continue;
    }
    await ctx.store.delete(object.key);
    removedChunks++;
    removedBytes += object.size;
  }
  ctx.metrics?.gcRemovedChunks.inc(removedChunks);
  const sweptPartials = (await ctx.store.sweep?.(new Date(now.getTime() - graceMs))) ?? 0;
  const staleMarkers = [...markers.stale, ...gcMarkers.stale];
  for (const key of staleMarkers) await ctx.store.delete(key);
  const result = { removedChunks, removedBytes, keptChunks, youngOrphans, sweptPartials, removedMarkers: staleMarkers.length };
  ctx.logger.info(result, "backup gc done");
  return result;
}
