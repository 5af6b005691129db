import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
import { postable } from "./postable.js";
import { WriterPool } from "./writer-pool.js";

let work: { dir: string; remove: () => Promise<void> };
let pool: WriterPool;
beforeEach(async () => {
  work = await tempDir();
  pool = new WriterPool(2);
});
afterEach(async () => {
  pool.close();
  await work.remove();
});

function shared(text: string): Buffer {
  const bytes = Buffer.from(new SharedArrayBuffer(Buffer.byteLength(text) + 8));
  const length = bytes.write(text, 4);
  return bytes.subarray(4, 4 + length);
}

describe("writer threads", () => {
  it("gzips a first line and a body into each file, returns the bytes written, and leaves no temp file", async () => {
    const files = Array.from({ length: 40 }, (_, i) => ({ name: `f${i}.gz`, head: `{"n":${i}}`, body: shared(`line ${i} é\n`) }));
    const halves = await Promise.all([pool.write(work.dir, files.slice(0, 20)), pool.write(work.dir, files.slice(20))]);
    const results = halves.flat();
    expect(results).toHaveLength(40);
    for (const [i, result] of results.entries()) {
      if (!result.ok) throw result.error;
      const onDisk = await readFile(join(work.dir, `f${i}.gz`));
      expect(Buffer.compare(onDisk, result.bytes)).toBe(0);
      expect(gunzipSync(onDisk).toString("utf8")).toBe(`{"n":${i}}\nline ${i} é\n`);
    }
    expect((await readdir(work.dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("fails only the file that cannot be written, with the file system's error", async () => {
    const results = await pool.write(work.dir, [
      { name: "a.gz", head: "a", body: Buffer.from("1\n") },
      { name: "missing/b.gz", head: "b", body: Buffer.from("2\n") },
      { name: "c.gz", head: "c", body: Buffer.from("3\n") },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1]!;
    expect(!failed.ok && (failed.error as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(await readdir(work.dir)).toEqual(["a.gz", "c.gz"]);
  });

  it("concatenates files and slices of files into one (temp file + rename) and removes files", async () => {
    await writeFile(join(work.dir, "1"), "one ");
    await writeFile(join(work.dir, "2"), "[two three]");
    const sources = [
      { path: join(work.dir, "1") },
      { path: join(work.dir, "2"), offset: 1, length: 4 },
      { path: join(work.dir, "2"), offset: 5, length: 5 },
    ];
    const result = await pool.concat(sources, join(work.dir, "both"));
    expect(result.ok && result.bytes.toString()).toBe("one two three");
    expect(await readFile(join(work.dir, "both"), "utf8")).toBe("one two three");
    const missing = await pool.concat([{ path: join(work.dir, "nope") }], join(work.dir, "none"));
    expect(missing.ok).toBe(false);
    await pool.remove([join(work.dir, "1"), join(work.dir, "2"), join(work.dir, "absent")]);
    expect(existsSync(join(work.dir, "1")) || existsSync(join(work.dir, "2"))).toBe(false);
    expect((await readdir(work.dir)).sort()).toEqual(["both"]);
  });

  it("compresses without writing when a file has no name, and cuts slices of a file into files of their own", async () => {
    const [compressed] = await pool.write(work.dir, [{ name: undefined, head: "h", body: Buffer.from("body\n") }]);
    expect(compressed!.ok && gunzipSync(compressed!.bytes).toString()).toBe("h\nbody\n");
    expect(await readdir(work.dir)).toEqual([]);
    await writeFile(join(work.dir, "part"), "aaabbbbcc");
    const results = await pool.split(join(work.dir, "part"), work.dir, [
      { name: "a", offset: 0, length: 3 },
      { name: "missing/b", offset: 3, length: 4 },
      { name: "c", offset: 7, length: 2 },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(await readFile(join(work.dir, "a"), "utf8")).toBe("aaa");
    expect(await readFile(join(work.dir, "c"), "utf8")).toBe("cc");
    expect((await readdir(work.dir)).sort()).toEqual(["a", "c", "part"]);
  });

  it("moves a frame alone in its buffer to the thread and back, and copies one that shares its buffer", async () => {
    const own = new Uint8Array(Buffer.from("a frame of its own"));
    const shares = Buffer.from("two frames in one buffer");
    const first = shares.subarray(0, 10);
    const second = shares.subarray(10);
    const prefix = Buffer.from("head:");
    const results = await pool.zstd(work.dir, prefix, [
      { name: "own", frame: own },
      { name: "first", frame: first },
      { name: undefined, frame: second },
    ]);
    // Moved: the caller's view is detached, and the thread gives the same bytes back.
    expect(own.byteLength).toBe(0);
    const [moved, copied, unnamed] = results;
    if (!moved?.ok || !copied?.ok || !unnamed?.ok) throw new Error("a frame failed");
    expect(Buffer.from(moved.input!).toString()).toBe("a frame of its own");
    // Copied: the caller keeps its bytes; no `input` comes back.
    expect(shares.toString()).toBe("two frames in one buffer");
    expect(copied.input).toBeUndefined();
    expect(zstdDecompressSync(copied.bytes).toString()).toBe("two frames");
    expect(zstdDecompressSync(unnamed.bytes).toString()).toBe(" in one buffer");
    const onDisk = await readFile(join(work.dir, "own"));
    expect(onDisk.subarray(0, 5).toString()).toBe("head:");
    expect(zstdDecompressSync(onDisk.subarray(5)).toString()).toBe("a frame of its own");
    expect((await readdir(work.dir)).sort()).toEqual(["first", "own"]);
  });

  it("posts bytes over memory of their own: views of a larger buffer are copied, shared memory and whole buffers not", () => {
    const pooled = Buffer.from("small");
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length);
    const copy = postable(pooled);
    expect(copy).not.toBe(pooled);
    expect(copy.buffer.byteLength).toBe(5);
    expect(Buffer.from(copy).toString()).toBe("small");
    const whole = new Uint8Array(8);
    expect(postable(whole)).toBe(whole);
    const inShared = shared("in shared memory");
    expect(postable(inShared)).toBe(inShared);
  });
});
