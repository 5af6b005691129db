import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChunkReader, cachedShare, readsAroundCache } from "../src/backups/direct-read.js";
import { dataStretches, compactStretches } from "../src/backups/stretches.js";
import { pageAlignedMemory } from "../src/fs/direct-write.js";
import { Backups, openStore } from "../src/index.js";

const KIB = 1024;
const MIB = 1024 * KIB;

describe("chunk reads", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "manageos-reads-"));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("give the file's bytes around the cache or through it, aligned memory or not, and tell a file that ends early", async () => {
    const bytes = randomBytes(3 * 64 * KIB + 1234);
    const path = join(work, "f");
    await writeFile(path, bytes);
    // page-aligned shared memory (read with O_DIRECT) and a plain buffer placed anywhere (through the cache)
    for (const buffer of [Buffer.from(pageAlignedMemory(64 * KIB), 0, 64 * KIB), Buffer.alloc(64 * KIB + 1).subarray(1)]) {
      const reader = new ChunkReader(path);
      try {
        for (let offset = 0; offset < bytes.length; offset += 64 * KIB) {
          const length = Math.min(64 * KIB, bytes.length - offset);
          expect(await reader.read(buffer, offset, length)).toBe(true);
          expect(buffer.subarray(0, length).equals(bytes.subarray(offset, offset + length))).toBe(true);
        }
        // the file is shorter than the scan said: false, not a short chunk
        expect(await reader.read(buffer, 3 * 64 * KIB, 64 * KIB)).toBe(false);
        // an offset off the 4 KiB grain goes through the cache
        expect(await reader.read(buffer, 100, 5000)).toBe(true);
        expect(buffer.subarray(0, 5000).equals(bytes.subarray(100, 5100))).toBe(true);
      } finally {
        await reader.close();
      }
    }
  });

  it("of a missing file fail with the file system's error", async () => {
    const reader = new ChunkReader(join(work, "missing"));
    await expect(reader.read(Buffer.alloc(4096), 0, 4096)).rejects.toMatchObject({ code: "ENOENT" });
    await reader.close();
  });
});

describe("the page cache's share of a file", () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "manageos-cached-"));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  // Written and made durable: its pages stay cached, clean.
  async function written(name: string, bytes: Buffer, size = bytes.length): Promise<string> {
    const path = join(work, name);
    await writeFile(path, bytes);
    if (size > bytes.length) await truncate(path, size);
    const handle = await open(path, "r+");
    await handle.sync();
    await handle.close();
    return path;
  }
  // Asks the kernel to drop the file's clean pages (posix_fadvise DONTNEED, through GNU dd).
  const dropCache = (path: string) => execFileSync("dd", [`if=${path}`, "iflag=nocache", "count=0", "status=none"]);

  it("is read by fincore: a file just written is cached, read through the cache; once dropped, around it", async () => {
    const path = await written("state", randomBytes(4 * MIB));
    expect(await cachedShare(path)).toBeGreaterThan(0.9);
    // the size told is the scan's; a file this small is never asked about
    expect(await readsAroundCache(path, 4 * MIB)).toBe(true);
    expect(await readsAroundCache(path, 64 * MIB)).toBe(false);
    dropCache(path);
    expect(await cachedShare(path)).toBeLessThan(0.1);
    expect(await readsAroundCache(path, 64 * MIB)).toBe(true);
  });

  it("is left alone by reads around it; once told the file is cached, the reader reads through the cache", async () => {
    const bytes = randomBytes(4 * MIB);
    const path = await written("blocks", bytes);
    dropCache(path);
    const buffer = Buffer.from(pageAlignedMemory(MIB), 0, MIB);
    const reader = new ChunkReader(path);
    try {
      for (let offset = 0; offset < 2 * MIB; offset += MIB) expect(await reader.read(buffer, offset, MIB)).toBe(true);
      expect(buffer.equals(bytes.subarray(MIB, 2 * MIB))).toBe(true);
      expect(await cachedShare(path)).toBeLessThan(0.1);
      reader.throughCache();
      for (let offset = 2 * MIB; offset < 4 * MIB; offset += MIB) expect(await reader.read(buffer, offset, MIB)).toBe(true);
      expect(buffer.equals(bytes.subarray(3 * MIB, 4 * MIB))).toBe(true);
      expect(await cachedShare(path)).toBeGreaterThanOrEqual(0.5);
    } finally {
      await reader.close();
    }
  });

  it("decides how a backup reads a large file: through the cache when it is cached, around it once dropped", async () => {
    await mkdir(join(work, "data"));
    const path = await written("data/state.bin", randomBytes(64 * MIB));
    const backups = new Backups({ chunkSize: 16 * MIB }, { store: openStore(`file://${join(work, "store")}`) });
    const request = (num: number) => ({
      dataDir: join(work, "data"),
      chainId: "ab".repeat(32),
      head: { num, id: num.toString(16).padStart(64, "0") },
      serverVersion: "v5.0.0",
      tag: `t${num}`,
    });
    const switched = vi.spyOn(ChunkReader.prototype, "throughCache");
    try {
      const cached = await backups.backup(request(1));
      expect(switched).toHaveBeenCalledTimes(1);
      dropCache(path);
      switched.mockClear();
      const dropped = await backups.backup(request(2));
      expect(switched).not.toHaveBeenCalled();
      // the same bytes either way
      const chunksOf = (m: typeof cached.manifest) => m.files.find((f) => f.path === "state.bin")?.chunks;
      expect(chunksOf(dropped.manifest)).toEqual(chunksOf(cached.manifest));
      expect(chunksOf(cached.manifest)).toHaveLength(4);
    } finally {
      switched.mockRestore();
    }
  });

  it("counts a sparse file's data only, not its holes", async () => {
    const path = await written("sparse", randomBytes(2 * MIB), 1024 * MIB);
    expect(await cachedShare(path)).toBeGreaterThan(0.9);
    expect(await readsAroundCache(path, 1024 * MIB)).toBe(false);
  });

  it("is unknown without fincore or for a missing file, and the file is then read around the cache", async () => {
    const path = await written("state", randomBytes(MIB));
    expect(await cachedShare(path, join(work, "no-fincore"))).toBeUndefined();
    expect(await readsAroundCache(path, 64 * MIB, join(work, "no-fincore"))).toBe(true);
    expect(await cachedShare(join(work, "missing"))).toBeUndefined();
    // nothing allocated: nothing to tell
    expect(await cachedShare(await written("empty", Buffer.alloc(0), 64 * MIB))).toBeUndefined();
  });
});

describe("zero stretches", () => {
  it("are found page by page, short gaps kept as data, and compacted back to back in order", () => {
    const chunk = Buffer.alloc(512 * KIB);
    chunk.fill(1, 0, 10);
    // a gap of 32 KiB (kept), then data, then a gap of 200 KiB (left out), then a page near the end
    chunk.fill(2, 40 * KIB, 41 * KIB);
    chunk.fill(3, 300 * KIB - 1, 300 * KIB);
    chunk.fill(4, 508 * KIB, 508 * KIB + 1);
    const stretches = dataStretches(chunk);
    expect(stretches).toEqual([
      [0, 44 * KIB],
      [296 * KIB, 300 * KIB],
      [508 * KIB, 512 * KIB],
    ]);
    expect(dataStretches(Buffer.alloc(64 * KIB))).toEqual([]);
    expect(dataStretches(Buffer.alloc(5000, 9))).toEqual([[0, 5000]]);
    const copy = Buffer.from(chunk);
    const stored = compactStretches(copy, stretches);
    expect(stored).toBe(52 * KIB);
    expect(copy.subarray(0, stored).equals(Buffer.concat(stretches.map(([s, e]) => chunk.subarray(s, e))))).toBe(true);
  });
});
