import { isManageosError } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { fixtureLines } from "../../test/dmlog.js";
import { capturingLogger, stdout, syntheticChain } from "../../test/helpers.js";
import type { AssembledBlock } from "./assembler.js";
import { type BlockSink, MindreaderPlugin, type MindreaderOptions } from "./plugin.js";

class MemorySink implements BlockSink {
  readonly blocks: AssembledBlock[] = [];
  async write(block: AssembledBlock): Promise<boolean> {
    this.blocks.push(block);
    return true;
  }
}

function read(lines: string[], opts: MindreaderOptions = {}) {
  const sink = new MemorySink();
  const { logger, lines: logs } = capturingLogger();
  const plugin = new MindreaderPlugin(opts, { sink, logger });
  const continuity: Array<{ code: string; details: Record<string, unknown> | undefined }> = [];
  plugin.on("continuityError", (err) => continuity.push({ code: err.code, details: err.details }));
  for (const text of lines) {
    const line = stdout(text);
    if (plugin.accepts(line)) plugin.handle(line);
  }
  return { plugin, sink, continuity, logs };
}

describe("reading the fixtures", () => {
  it("leap 13: blocks 2 to 5, each with its lines from START_BLOCK to ACCEPTED_BLOCK", () => {
    const lines = fixtureLines("leap-13.dmlog");
    const { sink, continuity, plugin } = read(lines);
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([2, 3, 4, 5]);
    expect(continuity).toEqual([]);
    expect(plugin.failure).toBeUndefined();
    for (const block of sink.blocks) {
      expect(block.version).toBe("leap-13");
      expect(block.lines[0]).toBe(`DMLOG START_BLOCK ${block.meta.num}`);
      expect(block.lines.at(-1)!.startsWith(`DMLOG ACCEPTED_BLOCK ${block.meta.num} `)).toBe(true);
    }
    // Every line from the first START_BLOCK on lands in exactly one block, in order.
    const from = lines.indexOf("DMLOG START_BLOCK 2");
    expect(sink.blocks.flatMap((b) => b.lines)).toEqual(lines.slice(from));
  });

  it("spring 1: blocks 2 to 35 link through the switch from ACCEPTED_BLOCK to ACCEPTED_BLOCK_V2", () => {
    const { sink, continuity } = read(fixtureLines("spring-1.dmlog"));
    expect(sink.blocks.map((b) => b.meta.num)).toEqual(Array.from({ length: 34 }, (_, i) => i + 2));
    expect(continuity).toEqual([]);
    for (const [i, block] of sink.blocks.entries()) {
      expect(block.version).toBe("spring-1");
      expect(Buffer.from(block.meta.id, "hex").readUInt32BE(0)).toBe(block.meta.num);
      if (i > 0) expect(block.meta.previous).toBe(sink.blocks[i - 1]!.meta.id);
    }
  });

  it("legacy JSON without a version line", () => {
    const { sink, plugin } = read(fixtureLines("legacy-json-soft-fail.dmlog"));
    expect(sink.blocks).toHaveLength(1);
    expect(sink.blocks[0]!.version).toBe("legacy-json");
    expect(sink.blocks[0]!.meta.num).toBe(30);
    expect(plugin.failure).toBeUndefined();
  });
});

describe("versions and damage", () => {
  it("stops on an unknown deep-mind version with MDR_ERR_DEEP_MIND_VERSION and reads nothing after", () => {
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({}, { sink, logger: capturingLogger().logger });
    const fatal: string[] = [];
    plugin.on("fatal", (err) => fatal.push(err.code));
    let thrown: unknown;
    try {
      plugin.handle(stdout("DMLOG DEEP_MIND_VERSION spring 2 0"));
    } catch (error) {
      thrown = error;
    }
    expect(isManageosError(thrown) && thrown.code).toBe("MDR_ERR_DEEP_MIND_VERSION");
    expect(String((thrown as Error).message)).toContain("spring 2 0");
    expect(fatal).toEqual(["MDR_ERR_DEEP_MIND_VERSION"]);
    for (const text of syntheticChain(2, 3).lines.slice(1)) plugin.handle(stdout(text));
    expect(sink.blocks).toHaveLength(0);
    expect(plugin.isReady()).toBe(false);
  });

  it("reads `mandel 13 0`, EOSIO mandel's name for leap 13's format, as leap 13", () => {
    const lines = fixtureLines("leap-13.dmlog").map((line) =>
      line === "DMLOG DEEP_MIND_VERSION leap 13 0" ? "DMLOG DEEP_MIND_VERSION mandel 13 0" : line,
    );
    expect(lines).toContain("DMLOG DEEP_MIND_VERSION mandel 13 0");
    const { sink, plugin, logs } = read(lines);
    expect(plugin.failure).toBeUndefined();
    expect(sink.blocks.map((b) => [b.meta.num, b.version])).toEqual([2, 3, 4, 5].map((num) => [num, "leap-13"]));
    expect(logs.find((l) => l["msg"] === "deep-mind version")).toMatchObject({
      version: "leap-13",
      line: "DMLOG DEEP_MIND_VERSION mandel 13 0",
    });
  });

  it("refuses hex blocks before any version line with MDR_ERR_DEEP_MIND_VERSION_MISSING, and writes none", () => {
    const lines = fixtureLines("leap-13.dmlog").filter((line) => !line.startsWith("DMLOG DEEP_MIND_VERSION"));
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({}, { sink, logger: capturingLogger().logger });
    const fatal: string[] = [];
    plugin.on("fatal", (err) => fatal.push(err.code));
    let thrown: unknown;
    for (const text of lines) {
      try {
        plugin.handle(stdout(text));
      } catch (error) {
        thrown = error;
      }
    }
    expect(fatal).toEqual(["MDR_ERR_DEEP_MIND_VERSION_MISSING"]);
    expect(String((thrown as Error).message)).toContain("block 2 came before any DEEP_MIND_VERSION line");
    expect(sink.blocks).toHaveLength(0);
  });

  it("asks every run of nodeos for its version: a run that does not say it is refused", async () => {
    const chain = syntheticChain(2, 4);
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({}, { sink, logger: capturingLogger().logger });
    for (const text of chain.lines.slice(0, 4)) plugin.handle(stdout(text));
    // nodeos exited; the line pipeline flushes its plugins. The next run prints blocks without a version line.
    await plugin.flush();
    const next = chain.lines.slice(4);
    expect(() => {
      for (const text of next) plugin.handle(stdout(text));
    }).toThrowError(expect.objectContaining({ code: "MDR_ERR_DEEP_MIND_VERSION_MISSING" }));
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([2]);
  });

  it("drops the block being assembled on SWITCH_FORK and accepts the other fork's block", () => {
    const main = syntheticChain(2, 4);
    const fork = syntheticChain(4, 4, { genesisPrevious: main.ids.get(3)!, startMs: Date.UTC(2024, 0, 2) });
    const lines = [
      ...main.lines.slice(0, 7), // version, blocks 2 and 3
      "DMLOG START_BLOCK 4",
      "DMLOG RLIMIT_OP STATE UPD {}",
      `DMLOG SWITCH_FORK ${main.ids.get(3)} ${fork.ids.get(4)}`,
      ...fork.lines.slice(1),
    ];
    const { sink, continuity, plugin } = read(lines);
    expect(sink.blocks.map((b) => b.meta.id)).toEqual([main.ids.get(2), main.ids.get(3), fork.ids.get(4)]);
    expect(sink.blocks[2]!.lines).toEqual(fork.lines.slice(1));
    expect(continuity).toEqual([]);
    expect(plugin.head?.id).toBe(fork.ids.get(4));
  });

  it("accepts a fork's block linking to an older block after SWITCH_FORK", () => {
    const main = syntheticChain(2, 5);
    const fork = syntheticChain(4, 6, { genesisPrevious: main.ids.get(3)!, startMs: Date.UTC(2024, 0, 2) });
    const lines = [...main.lines, `DMLOG SWITCH_FORK ${main.ids.get(5)} ${fork.ids.get(6)}`, ...fork.lines.slice(1)];
    const { sink, continuity } = read(lines);
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([2, 3, 4, 5, 4, 5, 6]);
    expect(continuity).toEqual([]);
  });

  it("reports a gap with both ids, and a previous id that does not link", () => {
    const chain = syntheticChain(2, 6);
    const withoutBlock4 = chain.lines.filter((line) => !/ 4( |$)/.test(line) || line.includes("RLIMIT"));
    const gap = read(withoutBlock4.filter((line) => !line.includes('{"block":4}')));
    expect(gap.sink.blocks.map((b) => b.meta.num)).toEqual([2, 3, 5, 6]);
    expect(gap.continuity).toHaveLength(1);
    expect(gap.continuity[0]!.code).toBe("MDR_ERR_CONTINUITY");
    expect(gap.continuity[0]!.details).toMatchObject({
      kind: "gap",
      num: 5,
      previous: chain.ids.get(4),
      expectedPrevious: chain.ids.get(3),
    });
    expect(gap.logs.some((l) => l["level"] === "error" && l["previous"] === chain.ids.get(4))).toBe(true);

    const other = syntheticChain(4, 4, { startMs: Date.UTC(2025, 0, 1) });
    const lines = [...chain.lines.slice(0, 7), ...other.lines.slice(1)];
    const broken = read(lines);
    expect(broken.continuity[0]!.details).toMatchObject({
      kind: "previous",
      num: 4,
      expectedPrevious: chain.ids.get(3),
      previous: `00000003${"11".repeat(28)}`,
    });
  });

  it("refuses a block with a truncated line, coded, instead of writing it", () => {
    const chain = syntheticChain(2, 2);
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({}, { sink, logger: capturingLogger().logger });
    plugin.handle(stdout(chain.lines[0]!));
    plugin.handle(stdout(chain.lines[1]!));
    plugin.handle({ ...stdout(chain.lines[2]!), truncated: true });
    expect(() => plugin.handle(stdout(chain.lines[3]!))).toThrowError(expect.objectContaining({ code: "MDR_ERR_LINE_TRUNCATED" }));
    expect(sink.blocks).toHaveLength(0);
  });
});

describe("a sink without room", () => {
  it("returns the sink's wait after a block only, never on the lines inside one", async () => {
    const chain = syntheticChain(2, 3);
    let full = false;
    const wait = Promise.resolve();
    const sink = Object.assign(new MemorySink(), { room: () => (full ? wait : undefined) });
    const plugin = new MindreaderPlugin({}, { sink, logger: capturingLogger().logger });
    const results = chain.lines.map((text) => plugin.handle(stdout(text)));
    expect(results.every((result) => result === undefined)).toBe(true);
    full = true;
    const more = syntheticChain(4, 4, { genesisPrevious: chain.ids.get(3)!, startMs: Date.UTC(2024, 0, 1) + 1000 });
    const [start, rlimit, accepted] = more.lines.slice(1).map((text) => plugin.handle(stdout(text)));
    expect([start, rlimit]).toEqual([undefined, undefined]);
    expect(accepted).toBe(wait);
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([2, 3, 4]);
  });
});

describe("start, stop and readiness", () => {
  it("writes from startBlockNum to stopBlockNum, then says stop once the stop block is written", async () => {
    const chain = syntheticChain(2, 12);
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({ startBlockNum: 5, stopBlockNum: 9 }, { sink, logger: capturingLogger().logger });
    const stopped = new Promise<[number, boolean]>((resolve) => {
      plugin.on("stopBlock", (meta, written) => resolve([meta.num, written]));
    });
    for (const text of chain.lines) plugin.handle(stdout(text));
    expect(await stopped).toEqual([9, true]);
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([5, 6, 7, 8, 9]);
  });

  it("says once per nodeos start when a block past the stop block is read, and never writes it", () => {
    const chain = syntheticChain(2, 12);
    const sink = new MemorySink();
    const plugin = new MindreaderPlugin({ stopBlockNum: 4 }, { sink, logger: capturingLogger().logger });
    const past: number[] = [];
    plugin.on("pastStopBlock", (meta) => past.push(meta.num));
    // The run that reaches the stop block: the blocks nodeos prints before it exits are expected.
    const cut = chain.lines.indexOf("DMLOG START_BLOCK 7");
    for (const text of chain.lines.slice(0, cut)) plugin.handle(stdout(text));
    expect(past).toEqual([]);
    // nodeos started again (version line first) and goes on past the stop block.
    plugin.handle(stdout(chain.lines[0]!));
    for (const text of chain.lines.slice(cut)) plugin.handle(stdout(text));
    expect(past).toEqual([7]);
    expect(sink.blocks.map((b) => b.meta.num)).toEqual([2, 3, 4]);
    expect(plugin.head?.num).toBe(12);
  });

  it("is ready only while the head block is within readinessMaxLatencyMs of now", () => {
    const chain = syntheticChain(2, 3, { startMs: Date.UTC(2024, 0, 1) });
    let now = Date.UTC(2024, 0, 1, 0, 0, 10);
    const plugin = new MindreaderPlugin(
      { readinessMaxLatencyMs: 5_000 },
      { sink: new MemorySink(), logger: capturingLogger().logger, now: () => now },
    );
    expect(plugin.isReady()).toBe(false);
    for (const text of chain.lines) plugin.handle(stdout(text));
    // Head is block 3 at start + 500 ms: 9.5 s behind.
    expect(plugin.driftSeconds()).toBeCloseTo(9.5);
    expect(plugin.isReady()).toBe(false);
    now = Date.UTC(2024, 0, 1, 0, 0, 4);
    expect(plugin.isReady()).toBe(true);
  });
});
