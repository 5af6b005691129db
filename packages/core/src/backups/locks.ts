import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import type { Logger } from "pino";
import { z } from "zod";
import type { Store } from "../storage/store.js";
import { LOCKS_PREFIX } from "./layout.js";

// runId, bootId and pidStart are absent from markers of older versions, which named a run by host and pid alone.
const markerSchema = z.object({
  hostname: z.string(),
  pid: z.number().int(),
  startedAt: z.iso.datetime(),
  chainId: z.string(),
  runId: z.string().optional(),
  bootId: z.string().optional(),
  pidStart: z.string().optional(),
});

/** What holds a marker: backups and gc exclude each other through them. */
export type MarkerKind = "backup" | "gc";

/** A running backup or gc, as announced in the store. */
export type Marker = z.infer<typeof markerSchema> & { key: string };

/** A marker this process wrote: its key and the run it names. */
export interface OwnMarker {
  readonly key: string;
  readonly runId: string;
}

// Runs of this process whose markers may be in the store: a marker of ours naming another run is left over.
const LIVE_RUNS = new Set<string>();

/**
 * Announces a running operation under `locks/`. Each side writes its own marker first and then looks
 * for the other's, so a backup and a gc never both proceed. The marker names the run (a random id),
 * the host, the kernel's boot id and the process (pid and start time), so a later process that got
 * the same pid (a restarted container's PID 1) is not taken for it.
 */
export async function putMarker(store: Store, kind: MarkerKind, chainId: string, hostname: string, now: Date): Promise<OwnMarker> {
  const runId = randomBytes(8).toString("hex");
  const key = `${LOCKS_PREFIX}${kind}-${now.getTime()}-${process.pid}-${runId}.json`;
  const self = selfIdentity();
  LIVE_RUNS.add(runId);
  try {
    await store.put(key, JSON.stringify({ hostname, pid: process.pid, startedAt: now.toISOString(), chainId, runId, ...self }), {
      contentType: "application/json",
    });
  } catch (error) {
    LIVE_RUNS.delete(runId);
    throw error;
  }
  return { key, runId };
}

/**
 * Ends a run: from now on this process counts its marker as left over (so a marker that cannot be
 * deleted blocks no gc of this process), then deletes it; a failed delete is logged, not thrown.
 */
export async function releaseMarker(store: Store, marker: OwnMarker, logger: Logger): Promise<void> {
  LIVE_RUNS.delete(marker.runId);
  await store
    .delete(marker.key)
    .catch((error: unknown) => logger.warn({ err: error, marker: marker.key }, "cannot remove the run's marker; the next gc removes it"));
}

/**
 * Markers of a kind that may still be live; stale ones are returned apart: older than `staleAfterMs`,
 * unreadable, or from this host name and no longer running (see `isOver`).
 */
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
    if (marker === undefined || age > staleAfterMs || (marker.hostname === hostname && isOver(marker))) stale.push(object.key);
    else active.push(marker);
  }
  return { active, stale };
}

/** `host:pid, host:pid` for messages. */
export function describeMarkers(markers: Marker[]): string {
  return markers.map((m) => `${m.hostname}:${m.pid}`).join(", ");
}

/**
 * True when the run a marker of this host name announces is surely over. A host name is taken to name
 * one machine (a pod's name does), so a marker written under another boot id is from before a reboot or
 * from the pod's earlier life elsewhere. On the same boot, the run lives only while its process does:
 * the same pid with the same start time (and, for this very process, a run it has not ended).
 */
export function isOver(marker: Pick<Marker, "pid" | "runId" | "bootId" | "pidStart">): boolean {
  const self = selfIdentity();
  if (marker.runId === undefined) return marker.pid === process.pid || !isAlive(marker.pid);
  if (marker.bootId !== undefined && self.bootId !== undefined && marker.bootId !== self.bootId) return true;
  if (marker.pid === process.pid && marker.pidStart === self.pidStart) return !LIVE_RUNS.has(marker.runId);
  if (marker.pidStart !== undefined && self.pidStart !== undefined) return processStart(marker.pid) !== marker.pidStart;
  return !isAlive(marker.pid);
}

let identity: { bootId?: string; pidStart?: string } | undefined;

/** This process as markers name it: the kernel's boot id and the process' start time, where the system tells them (Linux). */
export function selfIdentity(): { bootId?: string; pidStart?: string } {
  if (identity === undefined) {
    const bootId = readText("/proc/sys/kernel/random/boot_id");
    const pidStart = processStart(process.pid);
    identity = { ...(bootId === undefined ? {} : { bootId }), ...(pidStart === undefined ? {} : { pidStart }) };
  }
  return identity;
}

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot; undefined when there is no such process.
function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields?.[19];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
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
