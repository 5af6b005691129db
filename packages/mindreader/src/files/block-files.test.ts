import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createMetricsRegistry } from "@manageos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureLines, linesOf } from "../../test/dmlog.js";
import { capturingLogger, stdout, syntheticChain, TestStore, tempDir } from "../../test/helpers.js";
import { createMindreaderMetrics, type MindreaderMetrics } from "../metrics/metrics.js";
import { MindreaderPlugin } from "../reader/plugin.js";
import { BlockFiles, type BlockFilesOptions, DEFAULT_MAX_PENDING_WRITE_BYTES, defaultWriterThreads } from "./block-files.js";
import { decodeBlockFiles } from "./content.js";
import type { BacklogLevel } from "./backlog.js";
import { oneBlockFileName } from "./naming.js";

let work: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  work = await tempDir();
});
afterEach(async () => {
  await work.remove();
});

function setup(store: TestStore, opts: Partial<BlockFilesOptions> = {}, metrics?: MindreaderMetrics, now?: () => number) {
  const { logger, lines: logs } = capturingLogger();
  const files = new BlockFiles(
    {
      workDir: work.dir,
      suffix: "mr1",
      maxPendingFiles: 1000,
      upload: { concurrency: 2, timeoutMs: 5_000, retryBaseMs: 5, retryMaxMs: 20 },
      ...opts,
    },
    { store, logger, metrics, now },
  );
  const plugin = new MindreaderPlugin({}, { sink: files, logger });
  const feed = (lines: string[]) => {
    for (const text of lines) {
      const line = stdout(text);
      if (plugin.accepts(line)) plugin.handle(line);
    }
  };
  return { files, plugin, feed, logs };
}

// Feeds `main` with a fork at 120..121 (blocks from `loserStartMs`) that loses: nodeos switches back to main's 120.
function feedLosingFork(feed: (lines: string[]) => void, main: ReturnType<typeof syntheticChain>, loserStartMs: number): void {
  const loser = syntheticChain(120, 121, { genesisPrevious: main.ids.get(119)!, startMs: loserStartMs, lag: 3 });
  const cut = main.lines.indexOf("DMLOG START_BLOCK 120");
  feed(main.lines.slice(0, cut));
  feed(loser.lines.slice(1));
  feed([`DMLOG SWITCH_FORK ${loser.ids.get(121)} ${main.ids.get(121)}`]);
  feed(main.lines.slice(cut));
}

describe("one-block files", () => {
  it("names each spring block after its number, time, ids, LIB and writer, and stores header plus lines", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store);
    await files.start();
    const lines = fixtureLines("spring-1.dmlog");
    feed(lines);
    await files.drained();

    // Expected names from the fixture's own V2 lines: id, num, lib; previous = the id on the line before.
    const v2 = linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2");
    const keys = [...store.objects.keys()].filter((k) => k.startsWith("one-blocks/")).sort();
    expect(keys).toHaveLength(34);
    for (const [i, fields] of v2.entries()) {
      if (i === 0) continue;
      const [, , id, num, lib] = fields;
      const previous = v2[i - 1]![2]!;
      // The test chain makes a block every 500 ms from 2020-01-01T00:00:00.000 (block 1).
      const ms = (Number(num) - 1) * 500;
      const time = `20200101T0000${String(Math.floor(ms / 1000)).padStart(2, "0")}.${(ms % 1000) / 100}`;
      const name = `${num!.padStart(10, "0")}-${time}-${id!.slice(-8)}-${previous.slice(-8)}-${lib}-mr1.dmblock.gz`;
      expect(keys).toContain(`one-blocks/${name}`);
      const [content] = await decodeBlockFiles(store.objects.get(`one-blocks/${name}`)!);
      expect(content!.header).toMatchObject({ num: Number(num), id, previous, lib: Number(lib), version: "spring-1" });
      const start = lines.indexOf(`DMLOG START_BLOCK ${num}`);
      const end = lines.findIndex((line) => line.startsWith(`DMLOG ACCEPTED_BLOCK_V2 ${id}`));
      expect(content!.lines).toEqual(lines.slice(start, end + 1));
    }
  });

  it("picks up files a previous run left in the work dir and uploads them", async () => {
    const store = new TestStore();
    store.mode = "fail";
    const first = setup(store);
    await first.files.start();
    first.feed(syntheticChain(2, 6).lines);
    await first.files.flush();
    first.files.close();
    expect(store.objects.size).toBe(0);
    expect(await readdir(join(work.dir, "blocks"))).toHaveLength(5);

    store.mode = "ok";
    const second = setup(store);
    await second.files.start();
    await second.files.drained();
    expect([...store.objects.keys()].filter((k) => k.startsWith("one-blocks/"))).toHaveLength(5);
  });

  it("sets aside, and never uploads, a file a machine crash left incomplete", async () => {
    const store = new TestStore();
    store.mode = "fail";
    const first = setup(store);
    await first.files.start();
    first.feed(syntheticChain(2, 4).lines);
    await first.files.flush();
    first.files.close();
    const names = (await readdir(join(work.dir, "blocks"))).sort();
    const cut = join(work.dir, "blocks", names[1]!);
    const bytes = await readFile(cut);
    await writeFile(cut, bytes.subarray(0, bytes.length - 9));
    await writeFile(join(work.dir, "blocks", `.${names[2]}.0a1b2c3d.tmp`), "partial");

    store.mode = "ok";
    const second = setup(store);
    await second.files.start();
    await second.files.drained();
    expect([...store.objects.keys()].sort()).toEqual([`one-blocks/${names[0]}`, `one-blocks/${names[2]}`]);
    expect(await readdir(join(work.dir, "corrupt"))).toEqual([names[1]]);
    expect((await readdir(join(work.dir, "blocks"))).sort()).toEqual([names[0], names[2]]);
    expect(second.logs.some((l) => l["level"] === "warn" && String(l["msg"]).includes("incomplete block file"))).toBe(true);
  });
});

describe("a work dir in trouble", () => {
  it("reports a block file it cannot write, coded, and goes on with the next blocks", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store);
    await files.start();
    const chain = syntheticChain(2, 6);
    // Block 4's file name is taken by a directory: its rename fails, the others' do not.
    const dry = new MindreaderPlugin({}, { sink: { write: async () => true }, logger: capturingLogger().logger });
    let blocked = "";
    dry.on("block", (block) => {
      if (block.meta.num === 4) blocked = oneBlockFileName(block.meta, "mr1");
    });
    for (const text of chain.lines) dry.handle(stdout(text));
    await mkdir(join(work.dir, "blocks", blocked, "sub"), { recursive: true });
    const written: number[] = [];
    files.on("written", (meta) => written.push(meta.num));
    const errors: string[] = [];
    files.on("writeError", (err) => errors.push(err.code));
    feed(chain.lines);
    await files.drained();

    expect(written).toEqual([2, 3, 5, 6]);
    expect(errors).toEqual(["MDR_ERR_BLOCK_FILE_WRITE"]);
    const uploaded = [...store.objects.keys()].filter((k) => k.startsWith("one-blocks/")).map((k) => Number(k.slice(11, 21)));
    expect(uploaded.sort()).toEqual([2, 3, 5, 6]);
    expect((await readdir(join(work.dir, "blocks"))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("bundles", () => {
  it("merges 100 blocks once all are past LIB, from the chain that won a fork", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store);
    const bundles: number[] = [];
    files.on("bundle", (base) => bundles.push(base));
    await files.start();
    const main = syntheticChain(2, 150, { lag: 3 });
    feedLosingFork(feed, main, Date.UTC(2030, 0, 1));
    await files.flush();
    expect(bundles).toEqual([0]);

    feed(
      syntheticChain(151, 205, { lag: 3, genesisPrevious: main.ids.get(150)!, startMs: Date.UTC(2024, 0, 1) + 149 * 500 }).lines.slice(1),
    );
    await files.drained();
    expect(bundles).toEqual([0, 100]);

    const bundle0 = await decodeBlockFiles(store.objects.get("bundles/0000000000.dmbundle.gz")!);
    expect(bundle0.map((b) => b.header.num)).toEqual(Array.from({ length: 98 }, (_, i) => i + 2));
    expect(bundle0.map((b) => b.header.id)).toEqual(Array.from({ length: 98 }, (_, i) => main.ids.get(i + 2)));
    const bundle100 = await decodeBlockFiles(store.objects.get("bundles/0000000100.dmbundle.gz")!);
    expect(bundle100.map((b) => b.header.num)).toEqual(Array.from({ length: 100 }, (_, i) => i + 100));
    expect(bundle100[20]!.header.id).toBe(main.ids.get(120));
    expect(bundle100[21]!.header.id).toBe(main.ids.get(121));
    // A bundle is a gzip of the one-block contents back to back.
    const one = store.objects.get([...store.objects.keys()].find((k) => k.startsWith("one-blocks/0000000150-"))!)!;
    expect(gunzipSync(store.objects.get("bundles/0000000100.dmbundle.gz")!).toString()).toContain(gunzipSync(one).toString());

    // Bundled and uploaded one-block files leave the work dir; those of the open range stay.
    const left = (await readdir(join(work.dir, "blocks"))).map((name) => Number(name.slice(0, 10)));
    expect(Math.min(...left)).toBe(200);
    expect(await readdir(join(work.dir, "bundles"))).toEqual([]);
  });

  it("writes every bundle when several ranges become final at once, while their files are being uploaded", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store, { bundleSize: 10 });
    const bundles: number[] = [];
    files.on("bundle", (base) => bundles.push(base));
    const errors: string[] = [];
    files.on("writeError", (err) => errors.push(err.message));
    await files.start();
    // Blocks are handled in batches of many blocks: LIB crosses several 10-block ranges in one batch.
    const chain = syntheticChain(2, 95, { lag: 3 });
    feed(chain.lines);
    await files.drained();
    expect(errors).toEqual([]);
    expect(bundles).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    for (const base of bundles) {
      const blocks = await decodeBlockFiles(store.objects.get(`bundles/${String(base).padStart(10, "0")}.dmbundle.gz`)!);
      const first = Math.max(base, 2);
      expect(blocks.map((b) => b.header.num)).toEqual(Array.from({ length: base + 10 - first }, (_, i) => first + i));
    }
  });

  it("writes no bundle for a range it started reading in the middle of", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store);
    const bundles: number[] = [];
    files.on("bundle", (base) => bundles.push(base));
    await files.start();
    feed(syntheticChain(150, 305, { lag: 3 }).lines);
    await files.drained();
    expect(bundles).toEqual([200]);
  });
});

describe("a block store in trouble", () => {
  it("never slows handle(): files pile up locally with alarms, then drain when the store is back", async () => {
    const store = new TestStore();
    store.mode = "hang";
    const { files, feed, plugin, logs } = setup(store, {
      maxPendingFiles: 10,
      upload: { concurrency: 2, timeoutMs: 30, retryBaseMs: 5, retryMaxMs: 20 },
    });
    const levels: BacklogLevel[] = [];
    files.on("backlog", (level) => levels.push(level));
    await files.start();
    const chain = syntheticChain(2, 31);
    // handle() is synchronous: nothing it does waits on the store.
    expect(plugin.handle(stdout(chain.lines[0]!))).toBeUndefined();
    feed(chain.lines.slice(1));
    expect(plugin.head?.num).toBe(31);
    await files.flush();
    expect(await readdir(join(work.dir, "blocks"))).toHaveLength(30);
    expect(files.pendingUploads).toBe(30);
    // Files waiting for the store are on disk: they never make the reader wait.
    expect(files.pendingWriteBytes).toBe(0);
    expect(files.room()).toBeUndefined();
    expect(store.objects.size).toBe(0);
    expect(levels).toEqual(["warn", "full"]);
    expect(logs.some((l) => l["level"] === "warn" && l["pending"] === 5)).toBe(true);
    expect(logs.some((l) => l["level"] === "error" && (l["err"] as { code?: string })?.code === "MDR_ERR_BACKLOG_FULL")).toBe(true);

    store.mode = "ok";
    store.releaseHung();
    await files.drained();
    expect(files.pendingUploads).toBe(0);
    expect([...store.objects.keys()].filter((k) => k.startsWith("one-blocks/"))).toHaveLength(30);
    expect(levels.at(-1)).toBe("ok");
    const one = await readFile(join(work.dir, "blocks", (await readdir(join(work.dir, "blocks")))[0]!));
    expect(gunzipSync(one).toString()).toContain("DMLOG START_BLOCK");
  });
});

// Sizes of a chain's blocks as the reader hands them to a sink.
function blockSizes(lines: string[]): number[] {
  const sizes: number[] = [];
  const dry = new MindreaderPlugin({}, { sink: { write: async () => true }, logger: capturingLogger().logger });
  dry.on("block", (block) => sizes.push(block.size));
  for (const text of lines) dry.handle(stdout(text));
  return sizes;
}

// Settles `promise` against a turn of microtasks: true if it is still pending.
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol("pending");
  return (await Promise.race([promise, Promise.resolve(pending)])) === pending;
}

describe("writer threads behind the reader", () => {
  it("makes handle() wait past maxPendingWriteBytes until the threads catch up, never holding more than one block over it", async () => {
    // The store hangs the whole time: the upload backlog plays no part in the wait.
    const store = new TestStore();
    store.mode = "hang";
    const chain = syntheticChain(2, 201);
    const sizes = blockSizes(chain.lines);
    const largest = Math.max(...sizes);
    const bound = 5 * largest;
    const metrics = createMindreaderMetrics(createMetricsRegistry());
    const { files, plugin } = setup(store, { maxPendingWriteBytes: bound }, metrics);
    await files.start();
    const written: number[] = [];
    files.on("written", (meta) => written.push(meta.num));
    const lines = chain.lines.map((text) => stdout(text)).filter((line) => plugin.accepts(line));

    // In one synchronous turn, as nodeos' output arrives: the threads cannot answer before it ends.
    let next = 0;
    let wait: Promise<void> | undefined;
    while (wait === undefined) {
      wait = plugin.handle(lines[next++]!);
      if (wait === undefined) expect(files.pendingWriteBytes).toBeLessThanOrEqual(bound);
    }
    const handed = plugin.head!.num - 1;
    expect(sizes.slice(0, handed - 1).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(bound);
    expect(files.pendingWriteBytes).toBe(sizes.slice(0, handed).reduce((a, b) => a + b, 0));
    expect(files.pendingWriteBytes).toBeGreaterThan(bound);
    expect(files.pendingWriteBytes).toBeLessThanOrEqual(bound + largest);
    expect((await metrics.pendingWriteBytes.get()).values[0]?.value).toBe(files.pendingWriteBytes);
    expect(await isPending(wait)).toBe(true);
    expect(written).toEqual([]);

    await wait;
    expect(files.pendingWriteBytes).toBeLessThanOrEqual(bound);
    expect(written.length).toBeGreaterThan(0);
    expect(written).toEqual(Array.from({ length: written.length }, (_, i) => i + 2));

    // The rest as the line pipeline feeds a plugin: the next line once the promise handle() returned resolved.
    let waits = 1;
    let most = 0;
    for (; next < lines.length; next++) {
      const more = plugin.handle(lines[next]!);
      most = Math.max(most, files.pendingWriteBytes);
      if (more !== undefined) {
        waits++;
        await more;
        expect(files.pendingWriteBytes).toBeLessThanOrEqual(bound);
      }
    }
    expect(waits).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(bound + largest);
    await files.flush();
    expect(written).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
    expect(files.pendingWriteBytes).toBe(0);
    expect((await metrics.pendingWriteBytes.get()).values[0]?.value).toBe(0);
    expect(files.room()).toBeUndefined();
    expect(files.pendingUploads).toBeGreaterThanOrEqual(200);

    store.mode = "ok";
    store.releaseHung();
    await files.drained();
    expect([...store.objects.keys()].filter((k) => k.startsWith("one-blocks/"))).toHaveLength(200);
  });

  it("keeps handle() synchronous, returning undefined, while the bound is not reached", async () => {
    const store = new TestStore();
    const chain = syntheticChain(2, 201);
    const total = blockSizes(chain.lines).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(DEFAULT_MAX_PENDING_WRITE_BYTES);
    const { files, plugin } = setup(store);
    await files.start();
    const results = chain.lines.map((text) => plugin.handle(stdout(text)));
    expect(results.every((result) => result === undefined)).toBe(true);
    // Every block is still waiting for the threads: undefined is the bound's answer, not a finished write.
    expect(files.pendingWriteBytes).toBe(total);
    expect(files.pendingWrites).toBe(200);
    await files.drained();
    expect(files.pendingWriteBytes).toBe(0);
    expect([...store.objects.keys()].filter((k) => k.startsWith("one-blocks/"))).toHaveLength(200);
  });

  it("refuses a bound that is not a non-negative integer, coded", () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => setup(new TestStore(), { maxPendingWriteBytes: bad })).toThrowError(
        expect.objectContaining({ code: "MDR_ERR_OPTIONS" }),
      );
    }
  });
});

describe("writer threads", () => {
  it("leave two CPUs to nodeos and the reader, with at least 2 threads and at most 8, never more than the CPUs", () => {
    expect([1, 2, 3, 4, 5, 6, 8, 10, 16, 64].map(defaultWriterThreads)).toEqual([1, 2, 2, 2, 3, 4, 6, 8, 8, 8]);
  });
});

describe("catching up", () => {
  // syntheticChain's blocks are 500 ms apart from this time; block `num` of a chain starting at 2 is at slot num - 2.
  const START = Date.UTC(2024, 0, 1);
  const HOUR = 3_600_000;
  const timeOf = (num: number) => START + (num - 2) * 500;
  const bundleKeys = (store: TestStore) => [...store.objects.keys()].filter((k) => k.startsWith("bundles/")).sort();
  const oneBlockNums = (store: TestStore) =>
    [...store.objects.keys()]
      .filter((k) => k.startsWith("one-blocks/"))
      .map((k) => Number(k.slice(11, 21)))
      .sort((a, b) => a - b);
  const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

  it("writes blocks older than catchUpBlockAgeMs straight into their bundles, then one-block files from the first recent block", async () => {
    const store = new TestStore();
    const metrics = createMindreaderMetrics(createMetricsRegistry());
    // Blocks up to 219 are more than an hour old; 220 is exactly an hour old, so recent.
    const { files, feed, logs } = setup(store, { catchUpBlockAgeMs: HOUR }, metrics, () => timeOf(220) + HOUR);
    await files.start();
    const main = syntheticChain(2, 250, { lag: 3 });
    // While catching up, the losing fork's blocks go into the part and stay out of the bundle.
    feedLosingFork(feed, main, timeOf(120) + 250);
    await files.drained();

    expect(bundleKeys(store)).toEqual(["bundles/0000000000.dmbundle.gz", "bundles/0000000100.dmbundle.gz"]);
    const bundle0 = await decodeBlockFiles(store.objects.get("bundles/0000000000.dmbundle.gz")!);
    expect(bundle0.map((b) => b.header.id)).toEqual(range(2, 99).map((num) => main.ids.get(num)));
    const bundle100 = await decodeBlockFiles(store.objects.get("bundles/0000000100.dmbundle.gz")!);
    expect(bundle100.map((b) => b.header.id)).toEqual(range(100, 199).map((num) => main.ids.get(num)));
    // Contents as one-block files would hold them: header line, then the block's lines.
    const start = main.lines.indexOf("DMLOG START_BLOCK 150");
    expect(bundle100[50]!.lines).toEqual(main.lines.slice(start, start + 3));
    // Blocks caught up get no one-block files; from the first recent block on, every block does.
    expect(oneBlockNums(store)).toEqual(range(220, 250));
    expect(await readdir(join(work.dir, "bundles"))).toEqual(["0000000200.dmbundle.gz.part", "0000000200.dmbundle.gz.part.idx"]);
    expect((await readdir(join(work.dir, "blocks"))).map((name) => Number(name.slice(0, 10)))).toEqual(range(220, 250));
    expect(await metrics.catchingUp.get()).toMatchObject({ values: [{ value: 0 }] });
    expect(logs.some((l) => l["msg"] === "caught up: one-block files from this block on" && l["num"] === 220)).toBe(true);
    files.close();

    // The next run finishes range 200 from the part (200..219) and the one-block files (220..250) left.
    const second = setup(store, { catchUpBlockAgeMs: HOUR }, undefined, () => timeOf(220) + HOUR);
    await second.files.start();
    second.feed(syntheticChain(251, 305, { lag: 3, genesisPrevious: main.ids.get(250)!, startMs: timeOf(251) }).lines);
    await second.files.drained();
    second.files.close();
    const bundle200 = await decodeBlockFiles(store.objects.get("bundles/0000000200.dmbundle.gz")!);
    expect(bundle200.map((b) => b.header.num)).toEqual(range(200, 299));
    expect(bundle200.slice(0, 51).map((b) => b.header.id)).toEqual(range(200, 250).map((num) => main.ids.get(num)));
    expect(await readdir(join(work.dir, "bundles"))).toEqual([]);
  });

  it("cuts off the end of a part a crash left incomplete and bundles the blocks that are intact", async () => {
    const store = new TestStore();
    const now = () => timeOf(10_000);
    const chain = syntheticChain(2, 110, { lag: 3 });
    const first = setup(store, { catchUpBlockAgeMs: HOUR }, undefined, now);
    await first.files.start();
    first.feed(chain.lines.slice(0, chain.lines.indexOf("DMLOG START_BLOCK 61")));
    await first.files.flush();
    first.files.close();
    // After a machine crash: block 60's member, listed in the index, holds garbage (its pages never reached the
    // disk), and bytes no index line lists follow it (an append whose line was never written).
    const part = join(work.dir, "bundles", "0000000000.dmbundle.gz.part");
    const bytes = await readFile(part);
    const index = (await readFile(`${part}.idx`, "utf8")).trim().split("\n");
    expect(index).toHaveLength(59);
    const [, offset, length] = index[58]!.split(" ").map(Number);
    expect(offset! + length!).toBe(bytes.length);
    bytes.fill(0x55, offset! + 10, offset! + length! - 10);
    await writeFile(part, Buffer.concat([bytes, Buffer.alloc(100, 1)]));

    const second = setup(store, { catchUpBlockAgeMs: HOUR }, undefined, now);
    await second.files.start();
    const warning = second.logs.find((l) => l["msg"] === "end of a bundle being written left incomplete by a crash: cut off");
    expect(warning).toMatchObject({ level: "warn", kept: 58, cutBytes: length! + 100 });
    // nodeos, started again, printed its version, then block 60 again after the crash (its head was 59).
    second.feed([chain.lines[0]!, ...chain.lines.slice(chain.lines.indexOf("DMLOG START_BLOCK 60"))]);
    await second.files.drained();
    second.files.close();
    const bundle0 = await decodeBlockFiles(store.objects.get("bundles/0000000000.dmbundle.gz")!);
    expect(bundle0.map((b) => b.header.id)).toEqual(range(2, 99).map((num) => chain.ids.get(num)));
    expect(oneBlockNums(store)).toEqual([]);
  });

  it("turns the blocks of a range it started inside of into one-block files, as it gives that range no bundle", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store, { catchUpBlockAgeMs: HOUR }, undefined, () => timeOf(10_000));
    await files.start();
    feed(syntheticChain(150, 305, { lag: 3 }).lines);
    await files.drained();
    files.close();
    expect(bundleKeys(store)).toEqual(["bundles/0000000200.dmbundle.gz"]);
    expect(oneBlockNums(store)).toEqual(range(150, 199));
    const [one] = await decodeBlockFiles(
      store.objects.get([...store.objects.keys()].find((k) => k.startsWith("one-blocks/0000000150-"))!)!,
    );
    expect(one!.header.num).toBe(150);
    expect((await readdir(join(work.dir, "bundles"))).sort()).toEqual(["0000000300.dmbundle.gz.part", "0000000300.dmbundle.gz.part.idx"]);
    expect((await readdir(join(work.dir, "blocks"))).length).toBe(0);
  });

  it("writes old blocks of a range already bundled, printed again by a node restarted from an older state, as one-block files", async () => {
    const store = new TestStore();
    const { files, feed } = setup(store, { catchUpBlockAgeMs: HOUR }, undefined, () => timeOf(10_000));
    await files.start();
    const chain = syntheticChain(2, 310, { lag: 3 });
    const upTo = (num: number) => chain.lines.indexOf(`DMLOG START_BLOCK ${num + 1}`);
    feed(chain.lines.slice(0, upTo(210)));
    await files.drained();
    expect(bundleKeys(store)).toEqual(["bundles/0000000000.dmbundle.gz", "bundles/0000000100.dmbundle.gz"]);
    // nodeos restarted from a backup taken at block 149: blocks 150..210 again, then on.
    feed([chain.lines[0]!, ...chain.lines.slice(chain.lines.indexOf("DMLOG START_BLOCK 150"))]);
    await files.drained();
    files.close();
    expect(oneBlockNums(store)).toEqual(range(150, 199));
    expect(bundleKeys(store)).toEqual([
      "bundles/0000000000.dmbundle.gz",
      "bundles/0000000100.dmbundle.gz",
      "bundles/0000000200.dmbundle.gz",
    ]);
    const bundle200 = await decodeBlockFiles(store.objects.get("bundles/0000000200.dmbundle.gz")!);
    expect(bundle200.map((b) => b.header.id)).toEqual(range(200, 299).map((num) => chain.ids.get(num)));
    expect((await readdir(join(work.dir, "blocks"))).length).toBe(0);
    expect((await readdir(join(work.dir, "bundles"))).sort()).toEqual(["0000000300.dmbundle.gz.part", "0000000300.dmbundle.gz.part.idx"]);
  });

  it("refuses an age that is not a non-negative integer, coded", () => {
    for (const bad of [-1, 0.5, Number.NaN]) {
      expect(() => setup(new TestStore(), { catchUpBlockAgeMs: bad })).toThrowError(expect.objectContaining({ code: "MDR_ERR_OPTIONS" }));
    }
  });
});
