import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { isManageosError } from "../errors/manageos-error.js";
import { StorageErrors } from "../storage/errors.js";
import type { EngineContext } from "./context.js";
import { BackupErrors } from "./errors.js";
import { parseSnapshotName, snapshotKey, snapshotName, snapshotPrefix } from "./layout.js";

/** A nodeos snapshot in the store. */
export interface StoredSnapshot {
  readonly name: string;
  readonly key: string;
  readonly chainId: string;
  readonly headNum: number;
  readonly headId: string;
  readonly size: number;
  readonly updatedAt: Date | undefined;
}

/** Uploads a snapshot file to `snapshots/<chain_id>/<head:010>-<head_block_id>.bin` (retried as a stream). */
export async function putSnapshot(
  ctx: EngineContext,
  request: { chainId: string; head: { num: number; id: string }; path: string },
): Promise<StoredSnapshot> {
  const name = snapshotName(request.head.num, request.head.id);
  const key = snapshotKey(request.chainId, name);
  await ctx.store.put(key, () => createReadStream(request.path), { contentType: "application/octet-stream" });
  const info = await ctx.store.stat(key);
  ctx.logger.info({ chainId: request.chainId, name, size: info?.size }, "snapshot stored");
  return {
    name,
    key,
    chainId: request.chainId,
    headNum: request.head.num,
    headId: request.head.id,
    size: info?.size ?? 0,
    updatedAt: info?.updatedAt,
  };
}

/** Snapshots of a chain, highest head first. */
export async function listSnapshots(ctx: EngineContext, chainId: string): Promise<StoredSnapshot[]> {
  const prefix = snapshotPrefix(chainId);
  const out: StoredSnapshot[] = [];
  for await (const object of ctx.store.list(prefix)) {
    const rest = object.key.slice(prefix.length);
    if (!rest.endsWith(".bin") || rest.includes("/")) continue;
    const name = rest.slice(0, -".bin".length);
    const parsed = parseSnapshotName(name);
    if (parsed === undefined) continue;
    out.push({ name, key: object.key, chainId, ...parsed, size: object.size, updatedAt: object.updatedAt });
  }
  return out.sort((a, b) => b.headNum - a.headNum || (b.name > a.name ? 1 : -1));
}

/** Downloads a snapshot (`latest` or a name) to `destination` atomically (temp + rename). */
export async function getSnapshot(
  ctx: EngineContext,
  request: { chainId: string; name: string | "latest"; destination: string },
): Promise<StoredSnapshot> {
  const all = await listSnapshots(ctx, request.chainId);
  const info = request.name === "latest" ? all[0] : all.find((s) => s.name === request.name);
  if (info === undefined) throw BackupErrors.snapshotNotFound(request.chainId, request.name);
  const temp = join(dirname(request.destination), `.${basename(request.destination)}.${process.pid}.part`);
  await mkdir(dirname(request.destination), { recursive: true });
  try {
    await pipeline(await ctx.store.get(info.key), createWriteStream(temp, { flush: true }));
    await rename(temp, request.destination);
  } catch (error) {
    await rm(temp, { force: true });
    if (isManageosError(error) && error.code === StorageErrors.notFound.code) {
      throw BackupErrors.snapshotNotFound(request.chainId, info.name, { cause: error });
    }
    throw error;
  }
  return info;
}

/** Keeps the newest `keepLast` snapshots of a chain; returns the names removed. */
export async function runSnapshotRetention(ctx: EngineContext, request: { chainId: string; keepLast: number }): Promise<string[]> {
  if (!Number.isInteger(request.keepLast) || request.keepLast < 1) throw BackupErrors.args(`keepLast must be a positive integer`);
  const all = await listSnapshots(ctx, request.chainId);
  const removed: string[] = [];
  for (const snapshot of all.slice(request.keepLast)) {
    await ctx.store.delete(snapshot.key);
    removed.push(snapshot.name);
  }
  return removed;
}
