import type { BlockEvent } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { nodeosLogPlugins } from "../src/bench/nodeos-plugins.js";
import { runBareSplitter, runLinePipeline } from "../src/bench/run-pipeline.js";
import { fixture, quietLogger } from "./helpers.js";

describe("benchmark entry points", () => {
  it("run the nodeos plugin pipeline and the bare splitter over the same output with the same counts", async () => {
    const args = [fixture("prints-nodeos.js"), "4"];
    const bare = await runBareSplitter({ command: process.execPath, args });
    const full = await runLinePipeline({ command: process.execPath, args });
    expect(full.lines).toBe(bare.lines);
    expect(full.bytes).toBe(bare.bytes);
    expect(full.exitCode).toBe(0);
    // Four lines per block: one on stderr, three DMLOG lines on stdout.
    expect(full.lines % 4).toBe(0);
    expect(full.linesPerSecond).toBeGreaterThan(0);

    const blocks: BlockEvent[] = [];
    const counted = await runLinePipeline({
      command: process.execPath,
      args,
      plugins: nodeosLogPlugins({ logger: quietLogger(), onBlock: (b) => blocks.push(b) }),
    });
    expect(blocks).toHaveLength(counted.lines / 4);
    expect(blocks.at(-1)?.num).toBe(counted.lines / 4);
  });
});
