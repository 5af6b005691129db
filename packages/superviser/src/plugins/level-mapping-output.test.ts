import { Writable } from "node:stream";
import { createLogger, LogOutput } from "@manageos/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createNodeosLevelMapper } from "../nodeos/log-level.js";
import { LevelMappingPlugin } from "./level-mapping.js";

// A log consumer that takes a chunk only when the test lets it (a stuck `kubectl logs`, a slow collector).
class HeldConsumer extends Writable {
  readonly taken: string[] = [];
  private held: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: 1024, decodeStrings: false });
  }
  override _write(chunk: string, _encoding: BufferEncoding, callback: () => void): void {
    this.held.push(() => {
      this.taken.push(String(chunk));
      callback();
    });
  }
  /** Takes everything the output has for it, as long as more keeps coming. */
  async catchUp(output: LogOutput): Promise<void> {
    while (this.held.length > 0 || output.waiting > 0) {
      for (const take of this.held.splice(0)) take();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  records(): Record<string, unknown>[] {
    return this.taken
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const line = (n: number) => `info  2023-06-01T12:00:00.500 nodeos    net_plugin.cpp:3456           operator()           ] peer line ${n}`;

function setup(deepMindLines = false) {
  const consumer = new HeldConsumer();
  const output = new LogOutput({ stream: consumer, highWater: 4096 });
  const logger = createLogger({ level: "info", format: "json", destination: output });
  const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper(), deepMindLines }, { logger });
  return { consumer, output, plugin };
}

describe("LevelMappingPlugin with a log output that falls behind", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("drops and counts stderr lines while the consumer does not keep up, and warns once per episode with the count", async () => {
    const { consumer, output, plugin } = setup();
    let n = 0;
    for (let episode = 0; episode < 2; episode++) {
      for (let i = 0; i < 200; i++) plugin.handle({ stream: "stderr", text: line(++n), truncated: false, receivedAt: 0 });
      expect(output.behind).toBe(true);
      await consumer.catchUp(output);
      await output.caughtUp();
    }
    const records = consumer.records();
    const logged = records.filter((r) => r.module === "nodeos").length;
    const warns = records.filter((r) => r.level === "warn");
    const dropped = plugin.droppedLines().find((d) => d.stream === "stderr")?.count ?? 0;
    expect(dropped).toBeGreaterThan(0);
    expect(logged + dropped).toBe(400);
    expect(warns).toHaveLength(2);
    expect(warns.map((w) => w.module)).toEqual(["lines", "lines"]);
    expect(warns.reduce((sum, w) => sum + Number(w.dropped), 0)).toBe(dropped);
    expect(warns.every((w) => Number(w.dropped) > 0 && w.stderr === w.dropped && w.stdout === 0)).toBe(true);
  });

  it("says how long the output was behind", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { consumer, output, plugin } = setup();
    vi.setSystemTime(1_000_000);
    for (let i = 1; i <= 200; i++) plugin.handle({ stream: "stderr", text: line(i), truncated: false, receivedAt: Date.now() });
    vi.setSystemTime(1_001_500);
    await consumer.catchUp(output);
    await output.caughtUp();
    await consumer.catchUp(output);
    expect(consumer.records().filter((r) => r.level === "warn")).toMatchObject([{ reason: "log-behind", seconds: 1.5 }]);
  });

  it("reports an episode still open when the child exits", async () => {
    const { consumer, output, plugin } = setup();
    for (let i = 1; i <= 200; i++) plugin.handle({ stream: "stderr", text: line(i), truncated: false, receivedAt: 0 });
    plugin.flush();
    await consumer.catchUp(output);
    const warns = consumer.records().filter((r) => r.level === "warn");
    expect(warns).toHaveLength(1);
    expect(warns[0]?.dropped).toBe(plugin.droppedLines().find((d) => d.stream === "stderr")?.count);
  });

  it("makes a deep-mind line on stdout wait for the output instead of dropping it", async () => {
    const { consumer, output, plugin } = setup(true);
    for (let i = 1; i <= 200; i++) plugin.handle({ stream: "stderr", text: line(i), truncated: false, receivedAt: 0 });
    expect(output.behind).toBe(true);
    const waiting = plugin.handle({ stream: "stdout", text: "DMLOG START_BLOCK 5", truncated: false, receivedAt: 0 });
    expect(waiting).toBeInstanceOf(Promise);
    await consumer.catchUp(output);
    await waiting;
    await consumer.catchUp(output);
    expect(consumer.records().some((r) => r.msg === "DMLOG START_BLOCK 5")).toBe(true);
    expect(plugin.droppedLines().find((d) => d.stream === "stdout")?.count).toBe(0);
  });
});
