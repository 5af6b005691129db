import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers.js";
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
});
