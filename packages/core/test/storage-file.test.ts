import { mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileStore, openStore, type Store } from "../src/index.js";

describe("file:// store", () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-sto-"));
    store = openStore(`file://${dir}`);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes bytes, text and streams, and reads them back", async () => {
    await store.put("a/one", Buffer.from("bytes"));
    await store.put("a/two", "text");
    await store.put("b/three", Readable.from(["str", "eam"]));
    await store.put("b/four", () => Readable.from(["factory"]));
    expect((await store.getBytes("a/one")).toString()).toBe("bytes");
    expect(await text(await store.get("a/two"))).toBe("text");
    expect((await store.getBytes("b/three")).toString()).toBe("stream");
    expect((await store.getBytes("b/four")).toString()).toBe("factory");
    expect(await store.stat("a/one")).toMatchObject({ key: "a/one", size: 5 });
  });

  it("lists in key order under a prefix and hides partial writes", async () => {
    for (const key of ["x/b", "x/a-c", "x/a/b", "y/z", "x2"]) await store.put(key, key);
    // a writer killed mid-put leaves a temp file behind
    await writeFile(join(dir, ".tmp", "999-dead"), "partial");
    const keys: string[] = [];
    for await (const object of store.list("x/")) keys.push(object.key);
    expect(keys).toEqual(["x/a-c", "x/a/b", "x/b"]);
    const all: string[] = [];
    for await (const object of store.list("")) all.push(object.key);
    expect(all).toEqual(["x/a-c", "x/a/b", "x/b", "x2", "y/z"]);
    const prefixed: string[] = [];
    for await (const object of store.list("x")) prefixed.push(object.key);
    expect(prefixed).toEqual(["x/a-c", "x/a/b", "x/b", "x2"]);
  });

  it("sweeps only stale partial writes", async () => {
    await store.put("k", "v");
    await writeFile(join(dir, ".tmp", "old"), "partial");
    await writeFile(join(dir, ".tmp", "new"), "partial");
    const past = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, ".tmp", "old"), past, past);
    expect(await store.sweep?.(new Date(Date.now() - 60_000))).toBe(1);
    expect(await readdir(join(dir, ".tmp"))).toEqual(["new"]);
  });

  it("reports absent objects with STO_ERR_NOT_FOUND and deletes idempotently", async () => {
    await expect(store.get("nope")).rejects.toMatchObject({ code: "STO_ERR_NOT_FOUND" });
    await expect(store.getBytes("nope/deeper")).rejects.toMatchObject({ code: "STO_ERR_NOT_FOUND" });
    expect(await store.stat("nope")).toBeUndefined();
    await store.put("gone", "x");
    await store.delete("gone");
    await store.delete("gone");
    expect(await store.stat("gone")).toBeUndefined();
  });

  it("refuses to replace with ifAbsent, and replaces atomically otherwise", async () => {
    await store.put("k", "first", { ifAbsent: true });
    await expect(store.put("k", "second", { ifAbsent: true })).rejects.toMatchObject({ code: "STO_ERR_EXISTS" });
    await store.put("k", "third");
    expect((await store.getBytes("k")).toString()).toBe("third");
    expect(await readdir(join(dir, ".tmp"))).toEqual([]);
  });

  it("keeps the old object when a stream fails mid-put", async () => {
    await store.put("k", "old");
    const failing = new Readable({
      read() {
        this.push("partial");
        this.destroy(new Error("source broke"));
      },
    });
    await expect(store.put("k", failing)).rejects.toMatchObject({ code: "STO_ERR_IO" });
    expect((await store.getBytes("k")).toString()).toBe("old");
    expect(await readdir(join(dir, ".tmp"))).toEqual([]);
  });

  it("publishes batch writes once written, keeps the bytes a put was given, and leaves no temp files", async () => {
    const batch = store.batch?.();
    if (batch === undefined) throw new Error("the file store has batches");
    const body = Buffer.from("first chunk");
    const first = await batch.put("chunks/aa/one", body);
    // the caller reuses its buffer as soon as put resolves
    body.fill(0);
    const second = await batch.put("chunks/bb/two", Buffer.from("second chunk"));
    await Promise.all([first.published, second.published]);
    expect((await store.getBytes("chunks/aa/one")).toString()).toBe("first chunk");
    expect((await store.getBytes("chunks/bb/two")).toString()).toBe("second chunk");
    await batch.commit();
    expect((await collect(store.list("chunks/"))).map((o) => o.key)).toEqual(["chunks/aa/one", "chunks/bb/two"]);
    expect(await readdir(join(dir, ".tmp"))).toEqual([]);
  });

  it("reads an object into a caller's buffer and reports its size", async () => {
    await store.put("k", "0123456789");
    const into = Buffer.alloc(4);
    expect(await store.getInto?.("k", into)).toBe(10);
    expect(into.toString()).toBe("0123");
    await expect(store.getInto?.("absent", into)).rejects.toMatchObject({ code: "STO_ERR_NOT_FOUND" });
  });

  it("rejects keys that escape the root", async () => {
    // Rooted one level down, so an escape would land in this test's own dir (not a shared /tmp).
    const inner = openStore(`file://${join(dir, "root")}`);
    for (const key of ["../x", "a/../../x", "/abs", "a//b", ""]) {
      await expect(inner.put(key, "x")).rejects.toMatchObject({ code: "STO_ERR_KEY" });
    }
    await expect(stat(join(dir, "x"))).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it("maps permission problems to STO_ERR_AUTH", async () => {
    if (process.getuid?.() === 0) {
      // root ignores modes: a file where a directory must go gives an I/O error instead
      await store.put("file", "x");
      await expect(store.put("file/child", "y")).rejects.toMatchObject({ code: expect.stringMatching(/^STO_ERR_/) });
      return;
    }
    const { chmod } = await import("node:fs/promises");
    await store.put("locked/k", "x");
    await chmod(join(dir, "locked"), 0o500);
    try {
      await expect(store.put("locked/k2", "y")).rejects.toMatchObject({ code: "STO_ERR_AUTH" });
    } finally {
      await chmod(join(dir, "locked"), 0o700);
    }
  });
});

describe("openStore URLs", () => {
  it("resolves file://./relative against cwd and keeps file:///abs", () => {
    const relative = openStore("file://./.manageos/storage", { cwd: "/srv/node" });
    expect(relative).toBeInstanceOf(FileStore);
    expect((relative as FileStore).root).toBe("/srv/node/.manageos/storage");
    expect((openStore("file:///var/backups") as FileStore).root).toBe("/var/backups");
    expect((openStore("file://rel/dir", { cwd: "/a" }) as FileStore).root).toBe("/a/rel/dir");
  });

  it("rejects unknown schemes and bad buckets with STO_ERR_URL", () => {
    expect(() => openStore("s3://bucket/x")).toThrow(expect.objectContaining({ code: "STO_ERR_URL" }));
    expect(() => openStore("gs://UPPER/x")).toThrow(expect.objectContaining({ code: "STO_ERR_URL" }));
    expect(() => openStore("gs://bucket/../x")).toThrow(expect.objectContaining({ code: "STO_ERR_URL" }));
    expect(() => openStore("file://")).toThrow(expect.objectContaining({ code: "STO_ERR_URL" }));
    expect(openStore("gs://my-bucket/some/prefix/").url).toBe("gs://my-bucket/some/prefix");
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
