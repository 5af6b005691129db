import { randomBytes } from "node:crypto";
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type BackupProgress,
  Backups,
  type BackupsOptions,
  chunkKey,
  createBackupMetrics,
  manifestKey,
  openStore,
  type Store,
} from "../src/index.js";
import { Registry } from "prom-client";
import { type GcsEmulator, startGcsEmulator } from "./support/gcs-emulator.js";
import { fingerprint, keysUnder, randomChunks, storedChunkBytes, storedChunks, writeTree } from "./support/backup-fixtures.js";

const KIB = 1024;
const CHAIN = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906";

describe.each(["file", "gs"] as const)("backup engine on %s://", (kind) => {
  let emulator: GcsEmulator | undefined;
  let work: string;
  let dataDir: string;
  let store: Store;

  beforeAll(async () => {
    if (kind === "gs") emulator = await startGcsEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "manageos-bkp-"));
    dataDir = join(work, "data");
    await mkdir(dataDir);
    store =
      kind === "file"
        ? openStore(`file://${join(work, "store")}`)
        : openStore(`gs://manageos-test/${randomBytes(6).toString("hex")}`, { apiEndpoint: emulator?.endpoint ?? "" });
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  function engine(options: BackupsOptions = {}, metrics?: ReturnType<typeof createBackupMetrics>): Backups {
    return new Backups({ chunkSize: 64 * KIB, parallel: 4, ...options }, metrics === undefined ? { store } : { store, metrics });
  }
  const head = (num: number) => ({ num, id: `${num.toString(16).padStart(8, "0")}${"ab".repeat(28)}` });

  it("backs up in full, then uploads only changed chunks of an append-only log", async () => {
    const chunk = 64 * KIB;
    const log = randomChunks(5, chunk).subarray(0, 4 * chunk + chunk / 2);
    await writeTree(dataDir, { "blocks/blocks.log": log, "blocks/blocks.index": randomBytes(1000), "config.ini": "plugin = x\n" });
    await mkdir(join(dataDir, "blocks", "reversible"));
    const registry = new Registry();
    const metrics = createBackupMetrics(registry);
    const backups = engine({}, metrics);
    const progress: BackupProgress[] = [];

    const first = await backups.backup({ dataDir, chainId: CHAIN, head: head(100), serverVersion: "v5.0.0", tag: "full" }, (p) =>
      progress.push(p),
    );
    expect(first.newBytes).toBe(log.length + 1000 + 11);
    // the log's five chunks, and one pack holding the index and config.ini (small files share a chunk)
    expect(first.manifest.totals.newChunks).toBe(5 + 1);
    const index = first.manifest.files.find((f) => f.path === "blocks/blocks.index");
    const config = first.manifest.files.find((f) => f.path === "config.ini");
    expect(index?.chunks).toEqual(config?.chunks);
    expect([index?.packOffset, config?.packOffset]).toEqual([0, 1000]);
    expect(await storedChunkBytes(store)).toBe(log.length + 1011);
    const last = progress.at(-1);
    expect(last).toMatchObject({ unit: "bytes", total: log.length + 1011, current: log.length + 1011, filesDone: 3, filesTotal: 3 });

    // the node appends one and a half chunks and rewrites its index
    await appendFile(join(dataDir, "blocks/blocks.log"), randomBytes(chunk));
    await writeFile(join(dataDir, "blocks/blocks.index"), randomBytes(1200));
    const second = await backups.backup({ dataDir, chainId: CHAIN, head: head(200), serverVersion: "v5.0.0", tag: "incr" });
    // chunk 4 (now full) and chunk 5 (new tail half) of the log, plus a pack of the new index; config.ini keeps its pack
    expect(second.newBytes).toBe(chunk + chunk / 2 + 1200);
    expect(second.manifest.totals.newChunks).toBe(3);
    expect(second.manifest.files.find((f) => f.path === "config.ini")).toEqual(config);
    expect(second.sizeBytes).toBe(log.length + chunk + 1200 + 11);
    expect(await storedChunkBytes(store)).toBe(first.newBytes + second.newBytes);

    const text = await registry.metrics();
    expect(text).toContain('manageos_backup_runs_total{result="success"} 2');
    expect(text).toContain(`manageos_backup_uploaded_bytes_total ${first.newBytes + second.newBytes}`);
    expect(text).toMatch(/manageos_backup_last_success_timestamp_seconds \d{10}/);
    expect(text).toContain('manageos_backup_duration_seconds_count{operation="backup"} 2');
  });

  it("stores a sparse 1 GiB file as its data only and restores it sparse", async () => {
    const chunk = 1024 * KIB;
    const path = join(dataDir, "state", "shared_memory.bin");
    await mkdir(join(dataDir, "state"));
    await writeFile(path, "");
    await (await import("node:fs/promises")).truncate(path, 1024 * 1024 * 1024);
    const regions = [0, 300 * chunk + 17, 1023 * chunk + 5];
    const { open } = await import("node:fs/promises");
    const handle = await open(path, "r+");
    for (const offset of regions) await handle.write(Buffer.from("dirty data region"), 0, 17, offset);
    await handle.close();
    const backups = engine({ chunkSize: chunk });

    const result = await backups.backup({ dataDir, chainId: CHAIN, head: head(7), serverVersion: "v5", tag: "sparse" });
    expect(result.sizeBytes).toBe(1024 * 1024 * 1024);
    // each region lies in one page of its chunk: only that page is stored, not the chunk around it
    expect(result.dataBytes).toBe(3 * 4096);
    expect(await storedChunkBytes(store)).toBe(3 * 4096);
    expect(result.manifest.files[0]?.chunks.filter((c) => c !== null)).toHaveLength(3);
    expect(result.manifest.files[0]?.sparse).toEqual({ "0": [[0, 4096]], "300": [[0, 4096]], "1023": [[0, 4096]] });

    await rm(dataDir, { recursive: true });
    await backups.restore({ dataDir, chainId: CHAIN, name: "latest" });
    const restored = await stat(path);
    expect(restored.size).toBe(1024 * 1024 * 1024);
    expect(restored.blocks * 512).toBeLessThan(16 * chunk);
    // Inside a stored chunk too, only the pages holding data are written; the rest stays a hole.
    expect(restored.blocks * 512).toBeLessThanOrEqual(regions.length * 2 * 4096);
    const back = await open(path, "r");
    for (const offset of regions) {
      const buffer = Buffer.alloc(17);
      await back.read(buffer, 0, 17, offset);
      expect(buffer.toString()).toBe("dirty data region");
    }
    const gap = Buffer.alloc(4096, 1);
    await back.read(gap, 0, 4096, 500 * chunk);
    expect(gap.equals(Buffer.alloc(4096))).toBe(true);
    await back.close();
  });

  it("restores into a staging dir, verifies and swaps, keeping modes, mtimes and empty dirs", async () => {
    await writeTree(dataDir, { "blocks/blocks.log": randomChunks(3, 64 * KIB), "protocol_features/x.json": "{}" });
    await mkdir(join(dataDir, "snapshots"));
    await chmod(join(dataDir, "protocol_features/x.json"), 0o640);
    const mtime = new Date("2024-01-02T03:04:05Z");
    await utimes(join(dataDir, "blocks/blocks.log"), mtime, mtime);
    const before = await fingerprint(dataDir);
    const backups = engine({ parallel: 2, compress: "gzip" });
    const made = await backups.backup({ dataDir, chainId: CHAIN, head: head(50), serverVersion: "v5", tag: "manual" });
    expect(made.manifest.compression).toBe("gzip");

    // the node went on and wrote more, then the operator restores
    await writeTree(dataDir, { "blocks/blocks.log": "garbage", "extra.txt": "not in the backup" });
    const progress: BackupProgress[] = [];
    const result = await backups.restore({ dataDir, chainId: CHAIN, name: made.name }, (p) => progress.push(p));
    expect(result).toMatchObject({ name: made.name, head: head(50), fallbacks: [] });
    expect(await fingerprint(dataDir)).toEqual(before);
    expect((await stat(join(dataDir, "blocks/blocks.log"))).mtime.toISOString()).toBe(mtime.toISOString());
    expect(await readdir(work)).toEqual(expect.not.arrayContaining([expect.stringMatching(/restore|old/)]));
    expect((await readdir(work)).filter((n) => n !== "store")).toEqual(["data"]);
    expect(progress.at(-1)?.message).toContain("swapping");
  });

  it("stores zstd chunks as .zst, smaller than compressible data, and restores them byte for byte", async () => {
    const text = Buffer.from("block 1 produced by eosio, 0 trxs, lib 0 ".repeat(8000));
    await writeTree(dataDir, { "blocks/blocks.log": Buffer.concat([text, randomChunks(1, 64 * KIB)]) });
    const before = await fingerprint(dataDir);
    const backups = engine({ compress: "zstd" });
    const made = await backups.backup({ dataDir, chainId: CHAIN, head: head(7), serverVersion: "v5", tag: "manual" });
    expect(made.manifest.compression).toBe("zstd");
    const keys = await keysUnder(store, "chunks/");
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.endsWith(".zst"))).toBe(true);
    expect(made.manifest.totals.newBytes).toBeLessThan(text.length / 4 + 64 * KIB + 1024);
    await writeTree(dataDir, { "blocks/blocks.log": "garbage" });
    await backups.restore({ dataDir, chainId: CHAIN, name: made.name });
    expect(await fingerprint(dataDir)).toEqual(before);

    // a .zst chunk that does not decode is a corrupt chunk, named, and the data dir stays as it was
    const bad = chunkKey(made.manifest.files[0]?.chunks[0] ?? "", "zstd");
    await store.put(bad, randomBytes(1000));
    await expect(backups.restore({ dataDir, chainId: CHAIN, name: made.name })).rejects.toMatchObject({
      code: "BKP_ERR_CHUNK_CORRUPT",
      message: expect.stringContaining(bad),
    });
    expect(await fingerprint(dataDir)).toEqual(before);
  });

  it("falls back from a backup with a corrupt chunk to the next older one and names the chunk", async () => {
    await writeTree(dataDir, { "blocks/blocks.log": randomChunks(2, 64 * KIB) });
    const backups = engine();
    const older = await backups.backup({ dataDir, chainId: CHAIN, head: head(10), serverVersion: "v5", tag: "a" });
    const olderPrint = await fingerprint(dataDir);
    await appendFile(join(dataDir, "blocks/blocks.log"), randomBytes(1000));
    const newer = await backups.backup({ dataDir, chainId: CHAIN, head: head(20), serverVersion: "v5", tag: "b" });
    const tail = newer.manifest.files[0]?.chunks[2];
    expect(tail).toMatch(/^[0-9a-f]{64}$/);
    const bad = chunkKey(tail ?? "", "none");
    await store.put(bad, randomBytes(1000));

    // a named restore of the newer backup fails and leaves the data dir as it was
    await writeFile(join(dataDir, "marker"), "untouched");
    const current = await fingerprint(dataDir);
    await expect(backups.restore({ dataDir, chainId: CHAIN, name: newer.name })).rejects.toMatchObject({
      code: "BKP_ERR_CHUNK_CORRUPT",
      message: expect.stringContaining(bad),
    });
    expect(await fingerprint(dataDir)).toEqual(current);
    expect((await readdir(work)).filter((n) => n !== "store")).toEqual(["data"]);

    const result = await backups.restore({ dataDir, chainId: CHAIN, name: "latest" });
    expect(result.name).toBe(older.name);
    expect(result.fallbacks).toEqual([{ name: newer.name, code: "BKP_ERR_CHUNK_CORRUPT", message: expect.stringContaining(bad) }]);
    expect(await fingerprint(dataDir)).toEqual(olderPrint);

    // a missing chunk is named too
    await store.delete(bad);
    await expect(backups.restore({ dataDir, chainId: CHAIN, name: newer.name })).rejects.toMatchObject({
      code: "BKP_ERR_CHUNK_MISSING",
      message: expect.stringContaining(bad),
    });
    // and with every backup broken, latest says there is no usable one
    await store.delete(chunkKey(older.manifest.files[0]?.chunks[0] ?? "", "none"));
    await expect(backups.restore({ dataDir, chainId: CHAIN, name: "latest" })).rejects.toMatchObject({ code: "BKP_ERR_NO_BACKUP" });
    expect(await fingerprint(dataDir)).toEqual(olderPrint);
  });

  it("lists newest first with paging, applies retention, and gc drops what only removed backups used", async () => {
    let clock = new Date("2025-03-01T00:00:00Z");
    const backups = engine({ now: () => clock });
    const made: string[] = [];
    for (const [num, hoursLater] of [
      [10, 0],
      [30, 2],
      [20, 1],
      [40, 3],
    ] as const) {
      clock = new Date(Date.parse("2025-03-01T00:00:00Z") + hoursLater * 3_600_000);
      // above the pack limit (4 KiB at 64 KiB chunks): each file is a chunk of its own
      await writeTree(dataDir, { [`f${num}`]: randomBytes(5000 + num) });
      made.push((await backups.backup({ dataDir, chainId: CHAIN, head: head(num), serverVersion: "v5", tag: "t" })).name);
    }
    await backups.backup({ dataDir, chainId: "other-chain", head: head(99), serverVersion: "v5", tag: "t" });
    const listed = await backups.list({ chainId: CHAIN });
    expect(listed.map((b) => b.head.num)).toEqual([40, 30, 20, 10]);
    expect(listed[0]).toMatchObject({ chainId: CHAIN, serverVersion: "v5", tag: "t", name: made[3] });
    expect((await backups.list({ chainId: CHAIN, limit: 2, offset: 1 })).map((b) => b.head.num)).toEqual([30, 20]);
    expect((await backups.list()).map((b) => b.chainId)).toEqual(["other-chain", CHAIN, CHAIN, CHAIN, CHAIN]);

    clock = new Date("2025-03-01T04:30:00Z");
    const aged = await backups.applyRetention({ chainId: CHAIN, maxAge: 4 * 3_600_000 });
    expect(aged.removed).toEqual([made[0]]);
    const trimmed = await backups.applyRetention({ chainId: CHAIN, keepLast: 2 });
    expect(trimmed).toEqual({ removed: [made[2]], kept: [made[3], made[1]] });
    // the newest survives any policy
    expect((await backups.applyRetention({ chainId: CHAIN, maxAge: 1 })).kept).toEqual([made[3]]);

    const before = await storedChunks(store);
    const gc = await backups.gc({ graceMs: 0 });
    // f10 and f20 were only in the removed backups; f30 went with backup 30, f40 stays
    const remaining = await storedChunks(store);
    expect(gc.removedChunks).toBe(before.size - remaining.size);
    const keep = await backups.manifest(CHAIN, made[3] ?? "");
    const other = (await backups.list({ chainId: "other-chain" }))[0];
    expect(other).toBeDefined();
    const needed = new Set(keep.files.flatMap((f) => f.chunks.filter((c): c is string => c !== null).map((c) => chunkKey(c, "none"))));
    const otherManifest = await backups.manifest("other-chain", other?.name ?? "");
    for (const f of otherManifest.files) for (const c of f.chunks) if (c !== null) needed.add(chunkKey(c, "none"));
    expect(new Set(remaining.keys())).toEqual(needed);
    await backups.restore({ dataDir, chainId: CHAIN, name: "latest" });
  });

  it("skips a malformed manifest in listings, falls back past it, and gc refuses to guess", async () => {
    await writeTree(dataDir, { a: randomBytes(5000) });
    const backups = engine();
    const good = await backups.backup({ dataDir, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "good" });
    const badName = "0000000002-20250101T000000Z-bad";
    await store.put(manifestKey(CHAIN, badName), JSON.stringify({ format: "manageos-backup/1", files: "nope" }));
    expect((await backups.list({ chainId: CHAIN })).map((b) => b.name)).toEqual([good.name]);
    const result = await backups.restore({ dataDir, chainId: CHAIN, name: "latest" });
    expect(result.fallbacks).toEqual([{ name: badName, code: "BKP_ERR_MANIFEST_INVALID", message: expect.any(String) }]);
    await expect(backups.gc({ graceMs: 0 })).rejects.toMatchObject({ code: "BKP_ERR_MANIFEST_INVALID" });
  });

  it("gc refuses while a backup is running and keeps young orphans", async () => {
    await writeTree(dataDir, { a: randomBytes(5000) });
    const backups = engine();
    await backups.backup({ dataDir, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "t" });
    await store.put(chunkKey("ab".repeat(32), "none"), "orphan");
    await store.put(
      "locks/backup-1-live.json",
      JSON.stringify({ hostname: "elsewhere", pid: 1, startedAt: new Date().toISOString(), chainId: CHAIN }),
    );
    await expect(backups.gc({ graceMs: 0 })).rejects.toMatchObject({ code: "BKP_ERR_BUSY" });
    await store.delete("locks/backup-1-live.json");
    const young = await backups.gc({ graceMs: 3_600_000 });
    expect(young).toMatchObject({ removedChunks: 0, youngOrphans: 1, keptChunks: 1 });
    const old = await backups.gc({ graceMs: 0 });
    expect(old).toMatchObject({ removedChunks: 1, keptChunks: 1 });
    expect(await keysUnder(store, "locks/")).toEqual([]);
    // and a backup refuses while a gc elsewhere is live, leaving nothing behind
    await store.put(
      "locks/gc-1-live.json",
      JSON.stringify({ hostname: "elsewhere", pid: 1, startedAt: new Date().toISOString(), chainId: "*" }),
    );
    await expect(backups.backup({ dataDir, chainId: CHAIN, head: head(2), serverVersion: "v5", tag: "t" })).rejects.toMatchObject({
      code: "BKP_ERR_BUSY",
    });
    expect(await keysUnder(store, "locks/")).toEqual(["locks/gc-1-live.json"]);
    expect((await backups.list({ chainId: CHAIN })).map((b) => b.head.num)).toEqual([1]);
  });

  it("stores, lists, fetches and trims nodeos snapshots", async () => {
    const backups = engine();
    const source = join(work, "snap.bin");
    for (const num of [100, 300, 200]) {
      await writeFile(source, `snapshot at ${num}`);
      const put = await backups.putSnapshot({ chainId: CHAIN, head: head(num), path: source });
      expect(put.key).toBe(`snapshots/${CHAIN}/${String(num).padStart(10, "0")}-${head(num).id}.bin`);
    }
    expect((await backups.listSnapshots({ chainId: CHAIN })).map((s) => s.headNum)).toEqual([300, 200, 100]);
    const destination = join(work, "restore", "snap.bin");
    const got = await backups.getSnapshot({ chainId: CHAIN, name: "latest", destination });
    expect(got.headNum).toBe(300);
    expect(await readFile(destination, "utf8")).toBe("snapshot at 300");
    expect(await backups.applySnapshotRetention({ chainId: CHAIN, keepLast: 2 })).toEqual([
      `${String(100).padStart(10, "0")}-${head(100).id}`,
    ]);
    await expect(backups.getSnapshot({ chainId: CHAIN, name: "nope", destination })).rejects.toMatchObject({
      code: "BKP_ERR_SNAPSHOT_NOT_FOUND",
    });
    expect(await keysUnder(store, "snapshots/")).toHaveLength(2);
  });
});
