import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChunkReader } from "../src/backups/direct-read.js";
import { dataStretches, compactStretches } from "../src/backups/stretches.js";
import { pageAlignedMemory } from "../src/fs/direct-write.js";

const KIB = 1024;

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
