import { describe, expect, it } from "vitest";
import { expandArgs } from "./args.js";
import { createGethLevelMapper, gethLineLevel } from "./log-level.js";

describe("geth arguments", () => {
  it("fills placeholders and refuses unknown ones", () => {
    expect(expandArgs(["--datadir", "{data-dir}", "--http.port={http-port}"], { "data-dir": "/d", "http-port": "8545" })).toEqual([
      "--datadir",
      "/d",
      "--http.port=8545",
    ]);
    expect(() => expandArgs(["{nope}"], {})).toThrow(/unknown placeholder \{nope\}/);
  });
});

describe("geth log levels", () => {
  it("maps geth levels and demotes per-block lines", () => {
    expect(gethLineLevel("WARN [11-22|10:00:00.000] Snapshot extension registration failed")).toBe("warn");
    expect(gethLineLevel("CRIT [11-22|10:00:00.000] Failed to start")).toBe("fatal");
    expect(gethLineLevel("TRACE[11-22|10:00:00.000] x")).toBe("trace");
    const map = createGethLevelMapper();
    const line = (text: string) => ({ stream: "stderr" as const, text, truncated: false, receivedAt: 0 });
    expect(map(line("INFO [11-22|10:00:00.000] Imported new chain segment  number=123 hash=0x12ab.."))).toBe("debug");
    expect(map(line("ERROR[11-22|10:00:00.000] Beacon backfilling failed"))).toBe("error");
    expect(map(line("   continuation"))).toBe("error");
    expect(map(line("INFO [11-22|10:00:00.000] Starting Geth on Ethereum mainnet..."))).toBe("info");
  });
});
