import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { chunkKey, parseChunkKey } from "./layout.js";
import { listBackupRefs, readManifests } from "./catalog.js";
import { describeMarkers, type OwnMarker, putMarker, readMarkers, releaseMarker } from "./locks.js";

/** Entries listed per kind in a gc result; the counts cover all of them. */
export const GC_LIST_LIMIT = 1000;

/** One object gc removes (or, in a dry run, would remove). */
export interface GcItem {
  readonly key: string;
  readonly size: number;
}

/** What gc did, or in a dry run what it would do: the counts and sizes cover everything, the lists their first GC_LIST_LIMIT. */
export interface GcResult {
  /** Nothing was removed: the result says what gc would remove now. */
  readonly dryRun: boolean;
  readonly removedChunks: number;
  readonly removedBytes: number;
  readonly keptChunks: number;
  /** Unreferenced chunks left because they are younger than the grace period. */
  readonly youngOrphans: number;
  /** Partial uploads removed (file:// only). */
  readonly sweptPartials: number;
  readonly sweptPartialBytes: number;
  /** Markers of backups and gcs that are over. */
  readonly removedMarkers: number;
  readonly orphans: GcItem[];
  readonly partials: GcItem[];
  readonly markers: string[];
}

/** Options of one gc run. */
export interface GcOptions {
  /** Overrides the engine's grace period (0 in tests). */
  readonly graceMs?: number;
  /** Lists what would be removed and removes nothing (and writes no marker). */
  readonly dryRun?: boolean;
}

/**
 * Removes chunks no manifest references, partial uploads and markers of runs that are over.
 * Refuses while a backup is running (a live marker in `locks/`) and leaves chunks and partial
 * uploads younger than the grace period; an unreadable manifest stops it.
 */
export async function runGc(ctx: EngineContext, options: GcOptions = {}): Promise<GcResult> {
  const now = ctx.now();
  const graceMs = options.graceMs ?? ctx.gcGraceMs;
  if (options.dryRun === true) return collect(ctx, now, graceMs, undefined);
  const own = await putMarker(ctx.store, "gc", "*", ctx.hostname, now);
  try {
    return await collect(ctx, now, graceMs, own);
  } finally {
    await releaseMarker(ctx.store, own, ctx.logger);
  }
}

// The gc proper, once our marker is written (none in a dry run): refuse if a backup is live, else sweep.
async function collect(ctx: EngineContext, now: Date, graceMs: number, own: OwnMarker | undefined): Promise<GcResult> {
  const dryRun = own === undefined;
  const markers = await readMarkers(ctx.store, "backup", now, ctx.staleBackupMs, ctx.hostname);
  if (markers.active.length > 0) {
    throw BackupErrors.busy(`a backup is running (${describeMarkers(markers.active)})`, {
      details: { markers: markers.active.map((m) => m.key) },
    });
  }
  const gcMarkers = await readMarkers(ctx.store, "gc", now, ctx.staleGcMs, ctx.hostname);
  const otherGc = gcMarkers.active.filter((m) => m.key !== own?.key);
  if (otherGc.length > 0) throw BackupErrors.busy(`another gc is running (${describeMarkers(otherGc)})`);
  const refs = await listBackupRefs(ctx.store);
  const manifests = await readManifests(
    ctx.store,
    refs.map((r) => r.key),
    ctx.parallel,
  );
  const referenced = new Set<string>();
  for (const manifest of manifests) {
    // The recorded safety file is referenced too: an operator may want to look at it.
    const safety = manifest.finalizers?.safetyFile;
    for (const file of safety === undefined || safety === null ? manifest.files : [...manifest.files, safety]) {
      for (const hash of file.chunks) if (hash !== null) referenced.add(chunkKey(hash, manifest.compression));
    }
  }
  const orphans: GcItem[] = [];
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
    if (!dryRun) await ctx.store.delete(object.key);
    if (orphans.length < GC_LIST_LIMIT) orphans.push({ key: object.key, size: object.size });
    removedChunks++;
    removedBytes += object.size;
  }
  if (!dryRun) ctx.metrics?.gcRemovedChunks.inc(removedChunks);
  const before = new Date(now.getTime() - graceMs);
  const partials = (await ctx.store.partials?.(before)) ?? [];
  // Exactly the partial uploads listed, none that aged past the grace period meanwhile.
  if (!dryRun) for (const partial of partials) await ctx.store.delete(partial.key);
  const staleMarkers = [...markers.stale, ...gcMarkers.stale];
  if (!dryRun) for (const key of staleMarkers) await ctx.store.delete(key);
  const result: GcResult = {
    dryRun,
    removedChunks,
    removedBytes,
    keptChunks,
    youngOrphans,
    sweptPartials: partials.length,
    sweptPartialBytes: partials.reduce((sum, p) => sum + p.size, 0),
    removedMarkers: staleMarkers.length,
    orphans,
    partials: partials.slice(0, GC_LIST_LIMIT).map((p) => ({ key: p.key, size: p.size })),
    markers: staleMarkers.slice(0, GC_LIST_LIMIT),
  };
  const { orphans: _o, partials: _p, markers: _m, ...counts } = result;
  ctx.logger.info(counts, dryRun ? "backup gc dry run" : "backup gc done");
  return result;
}
