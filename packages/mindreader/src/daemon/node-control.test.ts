import { EventEmitter } from "node:events";
import type { Chain, ChainState, ExitResult } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { capturingLogger, stdout, syntheticChain } from "../../test/helpers.js";
import { MindreaderPlugin } from "../reader/plugin.js";
import { NodeControl } from "./node-control.js";
import { writerSuffix } from "./writer-suffix.js";

// The part of a Chain the control drives: stop() and state events; stops are counted and settle at once.
class FakeChain extends EventEmitter {
  stops = 0;
  state: ChainState = "running";
  async stop(): Promise<ExitResult> {
    this.stops++;
    this.setState("stopped");
    return { exitCode: 0, signal: undefined, killed: false, timedOut: false, requested: true };
  }
  setState(next: ChainState): void {
    const previous = this.state;
    this.state = next;
    this.emit("state", next, previous);
  }
}

function setup(stopBlockNum?: number, now = () => Date.now()) {
  const chain = new FakeChain();
  const { logger, lines } = capturingLogger();
  const plugin = new MindreaderPlugin({ stopBlockNum, readinessMaxLatencyMs: 5_000 }, { sink: { write: async () => true }, logger, now });
  const control = new NodeControl({ stopBlockNum, readinessMaxLatencyMs: 5_000 }, { chain: chain as unknown as Chain, plugin, logger });
  return { chain, plugin, control, lines };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("node control", () => {
  it("stops the node once the stop block is written, and again when it is started past it", async () => {
    const { chain, plugin, control } = setup(4);
    const blocks = syntheticChain(2, 9);
    const cut = blocks.lines.indexOf("DMLOG START_BLOCK 7");
    for (const text of blocks.lines.slice(0, cut)) plugin.handle(stdout(text));
    await settle();
    expect(chain.stops).toBe(1);
    expect(control.health()).toEqual(["mindreader reached its stop block 4"]);
    // Started again (a resume, a manageos restart): the first block past the stop block stops it again.
    chain.setState("running");
    plugin.handle(stdout(blocks.lines[0]!));
    for (const text of blocks.lines.slice(cut)) plugin.handle(stdout(text));
    await settle();
    expect(chain.stops).toBe(2);
  });

  it("stops the node with an error log on an unknown deep-mind version, and keeps it stopped", async () => {
    const { chain, plugin, control, lines } = setup();
    expect(() => plugin.handle(stdout("DMLOG DEEP_MIND_VERSION leap 99 0"))).toThrow();
    await settle();
    expect(chain.stops).toBe(1);
    const logged = lines.find((l) => l["level"] === "error" && String(l["msg"]).includes("stopping the node"));
    expect(logged).toMatchObject({ code: "MDR_ERR_DEEP_MIND_VERSION" });
    expect(control.health()[0]).toMatch(/^mindreader failed \(MDR_ERR_DEEP_MIND_VERSION\)/);
    chain.setState("running");
    await settle();
    expect(chain.stops).toBe(2);
  });

  it("is not ready before a block is read nor while the head is older than the readiness bound", () => {
    let now = Date.UTC(2024, 0, 1, 0, 0, 10);
    const { plugin, control } = setup(undefined, () => now);
    expect(control.health()).toEqual(["mindreader has read no block yet"]);
    for (const text of syntheticChain(2, 3, { startMs: Date.UTC(2024, 0, 1) }).lines) plugin.handle(stdout(text));
    expect(control.health()).toEqual(["mindreader head block 3 is 9.5 s old (max 5 s)"]);
    now = Date.UTC(2024, 0, 1, 0, 0, 2);
    expect(control.health()).toEqual([]);
  });
});

describe("writer suffix", () => {
  it("turns a hostname into a file-name-safe suffix", () => {
    expect(writerSuffix("eos-mindreader-0")).toBe("eos_mindreader_0");
    expect(writerSuffix("mr1.example.com")).toBe("mr1.example.com");
    expect(writerSuffix("x".repeat(40))).toBe("x".repeat(32));
    expect(writerSuffix("")).toBe("mindreader");
  });
});
