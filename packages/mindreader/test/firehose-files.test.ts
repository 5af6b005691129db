import { execFile } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { createMetricsRegistry, type ManageosError } from "@manageos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlockFiles, type BlockFilesOptions } from "../src/files/block-files.js";
import { DMLOG_FORMAT } from "../src/files/format.js";
import { ANTELOPE_CONTENT_TYPE, dbinFrame, dbinHeader, readDbin } from "../src/firehose/dbin.js";
import { firehoseSchema } from "../src/firehose/decode/schema.js";
import { FIREHOSE_FORMAT } from "../src/firehose/format.js";
import { parseFirehoseOneBlockFileName } from "../src/firehose/naming.js";
import { createMindreaderMetrics } from "../src/metrics/metrics.js";
import { MindreaderPlugin } from "../src/reader/plugin.js";
import { findProblems } from "../src/tools/blocks-check.js";
import { readBlockFile } from "../src/tools/read-block-file.js";
import { fixtureLines, linesOf } from "./dmlog.js";
import { capturingLogger, stdout, TestStore, tempDir } from "./helpers.js";

// Firehose's files end to end inside the package: deep-mind lines through the reader, the decoding thread and the
// writer threads, into a work dir and a store, read back as firehose-core reads them (zstd, dbin, sf.bstream.v1.Block).

const run = promisify(execFile);
let work: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  work = await tempDir();
});
afterEach(async () => {
  await work.remove();
});

function setup(opts: Partial<BlockFilesOptions> = {}) {
  const store = new TestStore();
  const registry = createMetricsRegistry();
  const metrics = createMindreaderMetrics(registry);
  const { logger, lines: logs } = capturingLogger();
  const files = new BlockFiles(
    { format: FIREHOSE_FORMAT, workDir: work.dir, suffix: "mr1", maxPendingFiles: 1000, ...opts },
    { store, logger, metrics },
  );
  const plugin = new MindreaderPlugin({ keepContext: true, publishHeaders: false }, { sink: files, logger, metrics });
  const fatal: ManageosError[] = [];
  plugin.on("fatal", (err) => fatal.push(err));
  files.on("blockError", (err) => plugin.failWith(err));
  const feed = (lines: string[]) => {
    for (const text of lines) {
      const line = stdout(text);
      if (!plugin.accepts(line)) continue;
      try {
        plugin.handle(line);
      } catch {
        return;
      }
    }
  };
  return { store, files, plugin, feed, fatal, logs, registry };
}

const keys = (store: TestStore, prefix: string) => [...store.objects.keys()].filter((k) => k.startsWith(prefix)).sort();

describe("Firehose block files", () => {
  it("writes one-block files firehose-core reads: named <num>-<id16>-<prev16>-<lib>-<suffix>.dbin.zst, dbin v1 of sf.bstream.v1.Block", async () => {
    const { store, files, feed, fatal } = setup();
    await files.start();
    const decoded: number[] = [];
    files.on("decoded", (meta) => decoded.push(meta.num));
    feed(fixtureLines("leap-13.dmlog"));
    await files.drained();
    files.close();
    expect(fatal).toEqual([]);
    const accepted = linesOf("leap-13.dmlog", "ACCEPTED_BLOCK").map((f) => Number(f[2]));
    const stored = keys(store, "one-blocks/");
    expect(stored.map((k) => parseFirehoseOneBlockFileName(k.slice(11))?.num)).toEqual(accepted);
    expect(decoded).toEqual(accepted);
    for (const key of stored) {
      const name = parseFirehoseOneBlockFileName(key.slice(11))!;
      const plain = zstdDecompressSync(store.objects.get(key)!);
      // The header bytes firehose-core's dbin reader wants: magic, version 1, uint16 length, the type URL.
      expect(plain.subarray(0, 7)).toEqual(Buffer.from([0x64, 0x62, 0x69, 0x6e, 0x01, 0x00, ANTELOPE_CONTENT_TYPE.length]));
      const dbin = readDbin(plain, key);
      expect(dbin.contentType).toBe(ANTELOPE_CONTENT_TYPE);
      expect(dbin.messages).toHaveLength(1);
      const [block] = await readBlockFile(store.objects.get(key)!, key);
      expect(block!.num).toBe(name.num);
      expect(block!.id.slice(-16)).toBe(name.idTail);
      expect(block!.previous.slice(-16)).toBe(name.previousTail);
      expect(block!.lib).toBe(name.lib);
      expect(name.suffix).toBe("mr1");
      const json = block!.json() as { number: string; payload: { "@type": string } };
      expect(json.number).toBe(String(name.num));
      expect(json.payload["@type"]).toBe(ANTELOPE_CONTENT_TYPE);
    }
    // The zstd tool reads them too (one frame for the header, one per block).
    const path = join(work.dir, "one.dbin.zst");
    await writeFile(path, store.objects.get(stored[0]!)!);
    const { stdout: text } = await run("zstd", ["-dc", path], { encoding: "latin1" });
    expect(text.startsWith(`dbin\x01\x00-${ANTELOPE_CONTENT_TYPE}`)).toBe(true);
  });

  it("decodes every block the same with two decoding threads, each given batches in turn, as with one", async () => {
    const lines = fixtureLines("leap-13.dmlog");
    const json = async (decoderThreads: number) => {
      const { store, files, plugin } = setup({ decoderThreads });
      await files.start();
      // A batch per block: block 3 (setcode, setabi) and block 4 (eosio actions decoded with that ABI) go to
      // different threads.
      for (const text of lines) {
        plugin.handle(stdout(text));
        if (text.startsWith("DMLOG ACCEPTED_BLOCK ")) await new Promise((resolve) => setImmediate(resolve));
      }
      await files.drained();
      files.close();
      const blocks = [];
      for (const key of keys(store, "one-blocks/"))
        blocks.push(...(await readBlockFile(store.objects.get(key)!, key)).map((b) => b.json()));
      await work.remove();
      work = await tempDir();
      return blocks;
    };
    const one = await json(1);
    expect(one).toHaveLength(4);
    expect(JSON.stringify(one)).toContain('"jsonData"');
    expect(await json(2)).toEqual(one);
  });

  it("merges blocks past LIB into <base>.dbin.zst under merged-blocks/: one header, the canonical blocks in order", async () => {
    // Caught up (blocks from 2020 are older than a day), straight into each range's part; ranges of 10 blocks.
    const { store, files, feed, fatal } = setup({ bundleSize: 10, catchUpBlockAgeMs: 24 * 3600_000 });
    await files.start();
    feed(fixtureLines("spring-1.dmlog"));
    await files.drained();
    files.close();
    expect(fatal).toEqual([]);
    const merged = keys(store, "merged-blocks/");
    expect(merged.length).toBeGreaterThanOrEqual(2);
    expect(merged[0]).toBe("merged-blocks/0000000000.dbin.zst");
    const first = await readBlockFile(store.objects.get(merged[0]!)!, merged[0]!);
    expect(first.map((b) => b.num)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const second = await readBlockFile(store.objects.get(merged[1]!)!, merged[1]!);
    expect(second.map((b) => b.num)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(readDbin(zstdDecompressSync(store.objects.get(merged[1]!)!), "bundle").messages).toHaveLength(10);
    expect(await findProblems(store, 10, { out: () => undefined, err: () => undefined })).toEqual([]);

    // A block whose previous id is not the block before it does not link; bytes that are no bundle are unreadable;
    // a bundle holding another range's blocks has them misplaced.
    const quiet = { out: () => undefined, err: () => undefined };
    const { bstreamBlock } = firehoseSchema();
    const messages = readDbin(zstdDecompressSync(store.objects.get(merged[1]!)!), "bundle").messages;
    const relinked = messages.map((message, i) => {
      if (i !== 3) return message;
      const block = bstreamBlock.decode(message) as unknown as { parentId: string };
      block.parentId = "ab".repeat(32);
      return bstreamBlock.encode(block).finish();
    });
    const rebundled = zstdCompressSync(Buffer.concat([dbinHeader(), ...relinked.map((m) => dbinFrame(m))]));
    store.objects.set(merged[1]!, rebundled);
    expect(await findProblems(store, 10, quiet)).toEqual([
      {
        kind: "unlinkable",
        message: `block 13 (${second[3]!.id}) has previous ${"ab".repeat(32)}, the block before it is 12 (${second[2]!.id})`,
      },
    ]);
    const bundle3 = "merged-blocks/0000000030.dbin.zst";
    const saved = store.objects.get(bundle3);
    store.objects.set(bundle3, Buffer.from("not a bundle"));
    expect((await findProblems(store, 10, quiet)).map((p) => p.kind)).toEqual(["unlinkable", "unreadable"]);
    store.objects.set(bundle3, store.objects.get(merged[0]!)!);
    const misplaced = await findProblems(store, 10, quiet);
    expect(misplaced.filter((p) => p.kind === "misplaced").map((p) => p.message)[0]).toBe("block 2 is in bundle 30 (30-39)");
    if (saved !== undefined) store.objects.set(bundle3, saved);
    else store.objects.delete(bundle3);

    // A bundle gone from the store is a hole.
    store.objects.delete(merged[1]!);
    const problems = await findProblems(store, 10, quiet);
    expect(problems[0]).toEqual({ kind: "hole", message: "bundles 10 to 10 are missing: blocks 10-19" });
  });

  it("a trace whose hex is cut is a coded error and no file, in both formats; the reader stops", async () => {
    // Firehose: the decoder's state is not trusted after a failure, so no later block is decoded either.
    const written = { firehose: [2], dmlog: [2, 4, 5] };
    const lines = fixtureLines("leap-13.dmlog");
    const at = lines.findIndex((line) => line.startsWith("DMLOG APPLIED_TRANSACTION 3 "));
    const damaged = lines.map((line, i) => (i === at ? line.slice(0, -1) : line));
    for (const format of [FIREHOSE_FORMAT, DMLOG_FORMAT]) {
      const r = setup({ format });
      await r.files.start();
      r.feed(damaged);
      await r.files.drained();
      r.files.close();
      const nums = (await readdir(join(work.dir, "blocks"))).map((name) => Number(name.slice(0, 10)));
      expect(nums).toEqual(written[format.name]);
      expect(r.fatal.map((err) => err.code)).toEqual(["MDR_ERR_BLOCK_INCOMPLETE"]);
      expect(r.fatal[0]!.message).toContain("block 3");
      expect(await r.registry.metrics()).toMatch(/manageos_mindreader_block_errors_total(\{[^}]*\})? [1-9]/);
      await work.remove();
      work = await tempDir();
    }
  });
});
