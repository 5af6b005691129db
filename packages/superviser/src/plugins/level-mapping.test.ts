import { describe, expect, it } from "vitest";
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
});
