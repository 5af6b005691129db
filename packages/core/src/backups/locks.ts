import { randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { z } from "zod";
import type { Store } from "../storage/store.js";
import { LOCKS_PREFIX } from "./layout.js";

const markerSchema = z.object({ hostname: z.string(), pid: z.number().int(), startedAt: z.iso.datetime(), chainId: z.string() });

/** What holds a marker: backups and gc exclude each other through them. */
export type MarkerKind = "backup" | "gc";

/** A running backup or gc, as announced in the store. */
export type Marker = z.infer<typeof markerSchema> & { key: string };

/**
 * Announces a running operation under `locks/`; returns its key. Each side writes its own marker
 * first and then looks for the other's, so a backup and a gc never both proceed.
 */
export async function putMarker(store: Store, kind: MarkerKind, chainId: string, hostname: string, now: Date): Promise<string> {
  const key = `${LOCKS_PREFIX}${kind}-${now.getTime()}-${process.pid}-${randomBytes(4).toString("hex")}.json`;
  await store.put(key, JSON.stringify({ hostname, pid: process.pid, startedAt: now.toISOString(), chainId }), {
    contentType: "application/json",
  });
  return key;
}

/** Markers of a kind that may still be live; stale ones (dead local pid, or older than `staleAfterMs`) are returned apart. */
export async function readMarkers(
  store: Store,
  kind: MarkerKind,
  now: Date,
  staleAfterMs: number,
  hostname: string = osHostname(),
): Promise<{ active: Marker[]; stale: string[] }> {
  const active: Marker[] = [];
  const stale: string[] = [];
  for await (const object of store.list(`${LOCKS_PREFIX}${kind}-`)) {
    let marker: Marker | undefined;
    try {
      const parsed = markerSchema.safeParse(JSON.parse((await store.getBytes(object.key)).toString("utf8")));
      marker = parsed.success ? { ...parsed.data, key: object.key } : undefined;
    } catch {
      marker = undefined;
    }
    const age = now.getTime() - (marker === undefined ? (object.updatedAt?.getTime() ?? 0) : Date.parse(marker.startedAt));
    const dead = marker !== undefined && marker.hostname === hostname && !isAlive(marker.pid);
    if (marker === undefined || dead || age > staleAfterMs) stale.push(object.key);
    else active.push(marker);
  }
  return { active, stale };
}

/** `host:pid, host:pid` for messages. */
export function describeMarkers(markers: Marker[]): string {
  return markers.map((m) => `${m.hostname}:${m.pid}`).join(", ");
}

// Signal 0 checks that a process exists without touching it.
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
