import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createMetricsRegistry, type ManageosError } from "@manageos/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlockFiles } from "../src/files/block-files.js";
import { decodeBlockFiles } from "../src/files/content.js";
import { createMindreaderMetrics } from "../src/metrics/metrics.js";
import { MindreaderPlugin } from "../src/reader/plugin.js";
import { fixtureLines } from "./dmlog.js";
import { capturingLogger, stdout, TestStore, tempDir } from "./helpers.js";

// Damaged deep-mind output read into real block files (a work dir, a store): the reader and the writer together.

let work: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  work = await tempDir();
});
afterEach(async () => {
  await work.remove();
});

async function reader() {
  const store = new TestStore();
  const registry = createMetricsRegistry();
  const metrics = createMindreaderMetrics(registry);
  const { logger, lines: logs } = capturingLogger();
  const files = new BlockFiles({ workDir: work.dir, suffix: "mr1", maxPendingFiles: 1000 }, { store, logger, metrics });
  await files.start();
  const plugin = new MindreaderPlugin({}, { sink: files, logger, metrics });
  const fatal: ManageosError[] = [];
  plugin.on("fatal", (err) => fatal.push(err));
  // Hands lines over as the line pipeline does; the reader's throw is what stops it.
  const feed = (lines: string[]) => {
    for (const text of lines) {
      try {
        plugin.handle(stdout(text));
      } catch {
        return;
      }
    }
  };
  // The block numbers of the one-block files written to the work dir, each also uploaded.
  const written = async () => {
    await files.drained();
    const local = (await readdir(join(work.dir, "blocks"))).map((name) => Number(name.slice(0, 10))).sort();
    const stored = [...store.objects.keys()].filter((k) => k.startsWith("one-blocks/")).map((k) => Number(k.slice(11, 21)));
    expect(stored.sort()).toEqual(local);
    return local;
  };
  return { plugin, files, store, registry, logs, fatal, feed, written };
}

// The leap 13 fixture with the accepted line of `num` replaced.
function leapWith(num: number, change: (line: string) => string): string[] {
  const prefix = `DMLOG ACCEPTED_BLOCK ${num} `;
  return fixtureLines("leap-13.dmlog").map((line) => (line.startsWith(prefix) ? change(line) : line));
}

describe("an accepted line cut short", () => {
  it("as nodeos' last line (killed while writing it): no block file, a warning and a metric, and the next run is read", async () => {
    const r = await reader();
    const full = fixtureLines("leap-13.dmlog");
    // Block 5's block state cut past its header, at an even number of digits: the header alone reads fine.
    const cut = leapWith(5, (line) => line.slice(0, "DMLOG ACCEPTED_BLOCK 5 ".length + 2000));
    r.feed(cut);
    // The child exited and every line was handed over: the line pipeline flushes its plugins.
    await r.plugin.flush();
    expect(r.plugin.failure).toBeUndefined();
    expect(await r.written()).toEqual([2, 3, 4]);
    expect(await r.registry.metrics()).toContain('manageos_mindreader_dropped_blocks_total{reason="incomplete"} 1');
    const warning = r.logs.find((l) => (l["err"] as { code?: string } | undefined)?.code === "MDR_ERR_BLOCK_INCOMPLETE");
    expect(warning).toMatchObject({ level: "warn" });

    // nodeos started again: its version line, then block 5 printed whole.
    r.feed([full.find((line) => line.startsWith("DMLOG DEEP_MIND_VERSION"))!, ...full.slice(full.indexOf("DMLOG START_BLOCK 5"))]);
    expect(await r.written()).toEqual([2, 3, 4, 5]);
    const key = [...r.store.objects.keys()].find((k) => k.startsWith("one-blocks/0000000005-"))!;
    const [content] = await decodeBlockFiles(r.store.objects.get(key)!);
    expect(content!.lines.at(-1)).toBe(full.at(-1));
    expect(r.fatal).toEqual([]);
    r.files.close();
  });

  it("followed by more output: the reader stops with MDR_ERR_BLOCK_INCOMPLETE and writes neither it nor what follows", async () => {
    const r = await reader();
    // Block 3's block state (11 KiB) one digit short, then block 4 as if nothing happened.
    r.feed(leapWith(3, (line) => line.slice(0, -1)));
    expect(r.fatal.map((err) => err.code)).toEqual(["MDR_ERR_BLOCK_INCOMPLETE"]);
    expect(r.plugin.failure?.message).toContain("ACCEPTED_BLOCK 3 block state is incomplete");
    expect(await r.written()).toEqual([2]);
    r.files.close();
  });

  it("a LIB ahead of its block stops the reader with MDR_ERR_LIB_AHEAD, the block unwritten", async () => {
    const r = await reader();
    const lines = fixtureLines("spring-1.dmlog").map((line) => {
      const fields = line.split(" ");
      if (fields[1] !== "ACCEPTED_BLOCK_V2" || fields[3] !== "10") return line;
      return [...fields.slice(0, 4), "11", ...fields.slice(5)].join(" ");
    });
    r.feed(lines);
    expect(r.fatal.map((err) => err.code)).toEqual(["MDR_ERR_LIB_AHEAD"]);
    expect(await r.written()).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    r.files.close();
  });
});
