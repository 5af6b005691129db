import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DirectWriter, pageAlignedMemory } from "../src/fs/direct-write.js";

const MIB = 1024 * 1024;
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

let dirs: string[] = [];
beforeEach(() => {
  dirs = [];
});
afterEach(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temp(base = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(base, "manageos-direct-"));
  dirs.push(dir);
  return dir;
}

// Bytes of the file held in the page cache (util-linux fincore).
function cachedBytes(path: string): number {
  const out = JSON.parse(execFileSync("fincore", ["--json", "--bytes", "--output", "RES", path], { encoding: "utf8" })) as {
    fincore: Array<{ res: number }>;
  };
  return out.fincore[0]?.res ?? Number.NaN;
}

// `length` random bytes in page-aligned shared memory.
function alignedBytes(length: number): Buffer {
  const bytes = Buffer.from(pageAlignedMemory(length), 0, length);
  randomBytes(length).copy(bytes);
  return bytes;
}

async function writeOnce(path: string, create: boolean, bytes: Uint8Array, position: number): Promise<void> {
  const writer = new DirectWriter(path, create);
  try {
    await writer.write(bytes, position);
  } finally {
    await writer.close();
  }
}

describe("DirectWriter", () => {
  it("writes aligned memory around the page cache, only an unaligned tail through it", async () => {
    const path = join(await temp(), "chunk");
    const bytes = alignedBytes(4 * MIB + 100);
    await writeOnce(path, true, bytes, 0);
    // The 4 MiB written direct are not in the cache; the 100-byte tail's page is.
    expect(cachedBytes(path)).toBeLessThanOrEqual(4096);
    expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
  });

  it("writes memory that is not page-aligned, and at unaligned offsets, through the cache with the same bytes", async () => {
    const path = join(await temp(), "data");
    await writeFile(path, Buffer.alloc(3 * MIB));
    const misaligned = Buffer.allocUnsafeSlow(MIB + 1).subarray(1);
    randomBytes(MIB).copy(misaligned);
    const aligned = alignedBytes(MIB);
    const writer = new DirectWriter(path, false);
    try {
      await writer.write(misaligned, 0);
      await writer.write(aligned, MIB + 512);
    } finally {
      await writer.close();
    }
    const back = await readFile(path);
    expect(back.length).toBe(3 * MIB);
    expect(Buffer.compare(back.subarray(0, MIB), misaligned)).toBe(0);
    expect(back.subarray(MIB, MIB + 512).every((b) => b === 0)).toBe(true);
    expect(Buffer.compare(back.subarray(MIB + 512, 2 * MIB + 512), aligned)).toBe(0);
  });

  it("falls back to the cache on a filesystem that refuses O_DIRECT (tmpfs)", async () => {
    const path = join(await temp("/dev/shm"), "chunk");
    const bytes = alignedBytes(2 * MIB);
    await writeOnce(path, true, bytes, 0);
    expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
  });

  it("still allocates, and writes the same bytes, where the address space is limited (ulimit -v)", async () => {
    const path = join(await temp(), "chunk");
    // Eight chunk buffers under a 30 GiB address-space limit, where ~10 GiB reserved per WebAssembly memory would
    // leave none for Node's own (its HTTP parser is one).
    const script = `
      const { DirectWriter, pageAlignedMemory } = await import(${JSON.stringify(DIST)});
      const buffers = Array.from({ length: 8 }, () => Buffer.from(pageAlignedMemory(${MIB}), 0, ${MIB}));
      buffers.forEach((b, i) => b.fill(i + 1));
      const writer = new DirectWriter(${JSON.stringify(path)}, true);
      for (const [i, b] of buffers.entries()) await writer.write(b, i * ${MIB});
      await writer.close();
      console.log(buffers.length);`;
    const out = execFileSync("sh", ["-c", 'ulimit -v 30000000 && exec "$0" --input-type=module -e "$1"', process.execPath, script], {
      encoding: "utf8",
    });
    expect(out.trim()).toBe("8");
    const back = await readFile(path);
    expect(back.length).toBe(8 * MIB);
    for (let i = 0; i < 8; i++) expect(back.subarray(i * MIB, (i + 1) * MIB).every((b) => b === i + 1)).toBe(true);
  });

  it("refuses to create over an existing file", async () => {
    const path = join(await temp(), "chunk");
    await writeFile(path, "taken");
    await expect(writeOnce(path, true, alignedBytes(MIB), 0)).rejects.toMatchObject({ code: "EEXIST" });
    await expect(writeOnce(path, true, Buffer.from("small"), 0)).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(path, "utf8")).toBe("taken");
  });
});
