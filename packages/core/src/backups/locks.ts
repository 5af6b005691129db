import { randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";
import { z } from "zod";
import type { Store } from "../storage/store.js";
import { LOCKS_PREFIX } from "./layout.js";

const markerSchema = z.object({ hostname: z.string(), pid: z.number().int(), startedAt: z.iso.datetime(), chainId: z.string() });

/** A running backup, as announced in the store. */
export type BackupMarker = z.infer<typeof markerSchema> & { key: string };

/** Announces a running backup under `locks/`; returns its key. */
export async function putBackupMarker(store: Store, chainId: string, hostname: string, now: Date): Promise<string> {
  const key = `${LOCKS_PREFIX}backup-${now.getTime()}-${process.pid}-${randomBytes(4).toString("hex")}.json`;
  await store.put(key, JSON.stringify({ hostname, pid: process.pid, startedAt: now.toISOString(), chainId }), {
    contentType: "application/json",
  });
  return key;
}

/** Markers of backups that may still run; stale ones (dead local pid, or older than `staleAfterMs`) are returned apart. */
export async function readBackupMarkers(
  store: Store,
  now: Date,
  staleAfterMs: number,
  hostname: string = osHostname(),
): Promise<{ active: BackupMarker[]; stale: string[] }> {
  const active: BackupMarker[] = [];
  const stale: string[] = [];
  for await (const object of store.list(LOCKS_PREFIX)) {
    if (!object.key.startsWith(`${LOCKS_PREFIX}backup-`)) continue;
    let marker: BackupMarker | undefined;
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

// Signal 0 checks that a process exists without touching it.
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
