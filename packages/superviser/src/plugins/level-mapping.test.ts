import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryLogger } from "../../test/helpers.js";
import { createNodeosLevelMapper } from "../nodeos/log-level.js";
import { LevelMappingPlugin } from "./level-mapping.js";

const RECEIVED =
  "info  2023-06-01T12:00:00.500 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 5e1a9d0a2f0b3c4d... #1234 @ 2023-06-01T12:00:00.500 signed by bp.a [trxs: 0, lib: 1200, confirmed: 0]";

describe("LevelMappingPlugin", () => {
  it("re-emits nodeos lines with module nodeos at the mapped level and never prints DMLOG by default", () => {
    const { logger, records } = memoryLogger("info");
    const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper() }, { logger });
    const at = (text: string, stream: "stdout" | "stderr" = "stderr") => plugin.handle({ stream, text, truncated: false, receivedAt: 0 });
    at("warn  2023-06-01T12:00:00.500 nodeos net_plugin.cpp:1 f ] peer closed");
    at(RECEIVED);
    at("DMLOG START_BLOCK 5", "stdout");
    at("<3>error 2023-06-01T12:00:00.500 nodeos controller.cpp:1 f ] database dirty flag set");
    expect(records().map((r) => [r.module, r.level, r.msg])).toEqual([
      ["nodeos", "warn", "warn  2023-06-01T12:00:00.500 nodeos net_plugin.cpp:1 f ] peer closed"],
      ["nodeos", "error", "<3>error 2023-06-01T12:00:00.500 nodeos controller.cpp:1 f ] database dirty flag set"],
    ]);
  });

  it("prints demoted lines at debug and DMLOG lines when asked", () => {
    const { logger, records } = memoryLogger("debug");
    const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper(), deepMindLines: true }, { logger });
    plugin.handle({ stream: "stderr", text: RECEIVED, truncated: false, receivedAt: 0 });
    plugin.handle({ stream: "stdout", text: "DMLOG START_BLOCK 5", truncated: false, receivedAt: 0 });
    expect(records().map((r) => [r.level, r.msg])).toEqual([
      ["debug", RECEIVED],
      ["info", "DMLOG START_BLOCK 5"],
    ]);
  });

  describe("while the reader is behind the node (backlogged stderr lines)", () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const info = (n: number) =>
      `info  2023-06-01T12:00:00.500 nodeos    net_plugin.cpp:3456           operator()           ] peer line ${n}`;
    const reader = (records: () => Record<string, unknown>[]) => records().filter((r) => r.module === "lines");

    it("drops and counts them, logs the others, and warns once a second passed without a drop", () => {
      vi.useFakeTimers();
      const { logger, records } = memoryLogger("info");
      const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper() }, { logger });
      const at = (n: number, backlogged: boolean) =>
        plugin.handle({ stream: "stderr", text: info(n), truncated: false, receivedAt: Date.now(), backlogged });
      at(1, false);
      for (let n = 2; n <= 11; n++) at(n, true);
      // A line demoted to debug is not logged at info anyway: not counted as lost.
      plugin.handle({ stream: "stderr", text: RECEIVED, truncated: false, receivedAt: Date.now(), backlogged: true });
      at(12, false);
      vi.advanceTimersByTime(500);
      at(13, true);
      vi.advanceTimersByTime(999);
      expect(reader(records)).toEqual([]);
      vi.advanceTimersByTime(1);
      const drops = plugin.droppedLines().filter((d) => d.reason === "reader-behind");
      expect(drops).toEqual([
        { stream: "stdout", reason: "reader-behind", count: 0 },
        { stream: "stderr", reason: "reader-behind", count: 11 },
      ]);
      expect(
        records()
          .filter((r) => r.module === "nodeos")
          .map((r) => r.msg),
      ).toEqual([info(1), info(12)]);
      expect(reader(records)).toMatchObject([{ level: "warn", reason: "reader-behind", dropped: 11, stderr: 11, stdout: 0, seconds: 0.5 }]);
      // A second episode gets its own warn.
      at(14, true);
      vi.advanceTimersByTime(1_000);
      expect(reader(records).map((r) => r.dropped)).toEqual([11, 1]);
    });

    it("reports an episode still open when the child exits", () => {
      const { logger, records } = memoryLogger("info");
      const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper() }, { logger });
      for (let n = 1; n <= 5; n++) plugin.handle({ stream: "stderr", text: info(n), truncated: false, receivedAt: 0, backlogged: true });
      plugin.flush();
      expect(reader(records)).toMatchObject([{ reason: "reader-behind", dropped: 5 }]);
      plugin.flush();
      expect(reader(records)).toHaveLength(1);
    });

    it("logs every line when told to hold the node back instead", () => {
      const { logger, records } = memoryLogger("info");
      const plugin = new LevelMappingPlugin({ module: "nodeos", map: createNodeosLevelMapper(), dropBacklogged: false }, { logger });
      for (let n = 1; n <= 5; n++) plugin.handle({ stream: "stderr", text: info(n), truncated: false, receivedAt: 0, backlogged: true });
      plugin.flush();
      expect(records().filter((r) => r.module === "nodeos")).toHaveLength(5);
      expect(plugin.droppedLines().every((d) => d.count === 0)).toBe(true);
    });
  });
});
