import { describe, expect, it } from "vitest";
import type { LogLine } from "@manageos/core";
import { parseBlockLine } from "./block-line.js";
import { isDirtyLine } from "./dirty-flag.js";
import { createNodeosLevelMapper, NODEOS_DEMOTED, nodeosLineLevel } from "./log-level.js";

const LEAP_RECEIVED =
  "info  2023-06-01T12:00:00.500 nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 5e1a9d0a2f0b3c4d... #1234 @ 2023-06-01T12:00:00.500 signed by bp.a [trxs: 0, lib: 1200, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: 12 ms]";
const LEAP_PRODUCED =
  "info  2023-06-01T12:00:01.000 nodeos    producer_plugin.cpp:2655      produce_block        ] Produced block 7c2e0b1a2b3c4d5e... #1235 @ 2023-06-01T12:00:01.000 signed by bp.a [trxs: 3, lib: 1201, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]";
const EOSIO1_RECEIVED =
  "info  2019-06-01T12:00:00.500 thread-0  producer_plugin.cpp:345       on_incoming_block    ] Received block 0b2d6e7a1b2c3d4e... #123 @ 2019-06-01T12:00:00.500 signed by eosio [trxs: 0, lib: 122, conf: 0, latency: 37 ms]";
const SYSLOG_PRODUCED =
  "<6>info  2023-06-01T12:00:01.000 chain-0   producer_plugin.cpp:2655      produce_block        ] Produced block 7c2e0b1a2b3c4d5e... #1235 @ 2023-06-01T12:00:01.000 signed by bp.b [trxs: 0, lib: 1201, confirmed: 12, net: 0, cpu: 100, elapsed: 40, time: 90]";
const SPRING_RECEIVED =
  "info  2024-09-01T12:00:00.500 net-1     controller.cpp:3900           log_applied          ] Received block 1234abcd5678ef90... #5000 @ 2024-09-01T12:00:00.500 signed by prod.x [trxs: 1, lib: 4998, net: 120, cpu: 300, elapsed: 50, time: 120, latency: 12 ms]";

const line = (text: string, stream: LogLine["stream"] = "stderr"): LogLine => ({
  stream,
  text,
  truncated: false,
  receivedAt: 0,
});

describe("parseBlockLine", () => {
  it("parses leap received and produced lines", () => {
    expect(parseBlockLine(LEAP_RECEIVED)).toEqual({
      num: 1234,
      idPrefix: "5e1a9d0a2f0b3c4d",
      producer: "bp.a",
      time: "2023-06-01T12:00:00.500Z",
      lib: 1200,
      kind: "received",
      trxs: 0,
      confirmed: 0,
    });
    expect(parseBlockLine(LEAP_PRODUCED)).toMatchObject({ num: 1235, kind: "produced", trxs: 3, lib: 1201 });
  });

  it("parses the EOSIO 1.x layout (thread-N, conf:)", () => {
    expect(parseBlockLine(EOSIO1_RECEIVED)).toMatchObject({ num: 123, producer: "eosio", lib: 122, confirmed: 0 });
  });

  it("parses the syslog-prefixed layout and spring's line without confirmed", () => {
    expect(parseBlockLine(SYSLOG_PRODUCED)).toMatchObject({ num: 1235, producer: "bp.b", confirmed: 12, kind: "produced" });
    const spring = parseBlockLine(SPRING_RECEIVED);
    expect(spring).toMatchObject({ num: 5000, producer: "prod.x", lib: 4998, kind: "received" });
    expect(spring?.confirmed).toBeUndefined();
  });

  it("ignores other lines", () => {
    expect(parseBlockLine("info  2023-06-01T12:00:00.500 nodeos  net_plugin.cpp:1 x ] Received block list")).toBeUndefined();
  });
});

describe("nodeos level mapping", () => {
  it("reads level words and syslog severities", () => {
    expect(nodeosLineLevel("debug 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("debug");
    expect(nodeosLineLevel("warn  2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("warn");
    expect(nodeosLineLevel("error 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("error");
    expect(nodeosLineLevel("<3>error 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("error");
    expect(nodeosLineLevel("<4>2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("warn");
    expect(nodeosLineLevel("   at some continuation")).toBeUndefined();
    expect(nodeosLineLevel("info  2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("info");
    expect(nodeosLineLevel("all   2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x")).toBe("trace");
    // A level word is a whole word followed by a space.
    expect(nodeosLineLevel("info")).toBeUndefined();
    expect(nodeosLineLevel("information follows")).toBeUndefined();
    expect(nodeosLineLevel("errors: 3")).toBeUndefined();
    expect(nodeosLineLevel("<6>informed")).toBe("info");
    expect(nodeosLineLevel("")).toBeUndefined();
  });

  it("demotes per-block info lines to debug and keeps others", () => {
    const map = createNodeosLevelMapper();
    expect(map(line(LEAP_RECEIVED))).toBe("debug");
    expect(map(line(SYSLOG_PRODUCED))).toBe("debug");
    expect(map(line("info  2023-06-01T12:00:00.500 nodeos main.cpp:1 main ] nodeos started"))).toBe("info");
    expect(map(line("error 2023-06-01T12:00:00.500 nodeos controller.cpp:1 f ] database dirty flag set"))).toBe("error");
    expect(map(line("plain stdout text", "stdout"))).toBe("info");
  });

  it("demotes every listed message at its level only", () => {
    const map = createNodeosLevelMapper();
    for (const d of NODEOS_DEMOTED) {
      const word = d.level === "info" ? "info " : "error";
      expect(map(line(`${word} 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x ${d.contains} y`)), d.contains).toBe("debug");
      // At another level the same message keeps it.
      expect(map(line(`warn  2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x ${d.contains} y`)), d.contains).toBe("warn");
      // Only the whole message: any part of it (its first or last word cut off) is not enough.
      for (const part of [d.contains.slice(1), d.contains.slice(2), d.contains.slice(0, -1)]) {
        expect(map(line(`${word} 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x ${part}`)), part).toBe(d.level);
      }
    }
  });

  it("demotes by the line, not by the read it came from", () => {
    const map = createNodeosLevelMapper();
    const received = "info  2023-06-01T12:00:00.500 nodeos producer_plugin.cpp:1 f ] Received block 0a1b... #12";
    const other = "info  2023-06-01T12:00:00.500 nodeos net_plugin.cpp:1 f ] connection closed";
    const read = `${other}\n${received}\n`;
    const withRead = (text: string, r: string) => ({ stream: "stderr" as const, text, truncated: false, receivedAt: 0, read: r });
    expect(map(withRead(other, read))).toBe("info");
    expect(map(withRead(received, read))).toBe("debug");
    // A read holding no demoted message: its lines are not searched, and keep their level.
    expect(map(withRead(other, `${other}\n`))).toBe("info");
    expect(map(withRead(received, received))).toBe("debug");
  });

  it("gives a line without a level word its own level, never the one of the line before it", () => {
    const map = createNodeosLevelMapper();
    expect(map(line("error 2023-06-01T12:00:00.500 nodeos chain_plugin.cpp:1 plugin_initialize ] 3110006 plugin_config_exception"))).toBe(
      "error",
    );
    expect(map(line("    stack frame 1"))).toBe("info");
    expect(map(line("error 2023-06-01T12:00:00.500 nodeos a.cpp:1 f ] x"))).toBe("error");
    expect(
      map(line("APPBASE: Warning: The following configuration items in the config.ini file are redundantly set to their default value:")),
    ).toBe("warn");
    expect(map(line("    chain-state-db-size-mb = 1024"))).toBe("info");
    // EOSIO 1.3 and older printed no level word; a receive line is still one per block.
    expect(map(line("2018-06-01T12:00:00.500 thread-0   controller.cpp:1 startup ] replaying blocks"))).toBe("info");
    expect(
      map(
        line(
          "2018-06-01T12:00:00.500 thread-0   producer_plugin.cpp:345 on_incoming_block ] Received block 0b2d6e7a1b2c3d4e... #123 @ 2018-06-01T12:00:00.500 signed by eosio [trxs: 0, lib: 122, conf: 0, latency: 37 ms]",
        ),
      ),
    ).toBe("debug");
  });

  it("logs the paused standby's routine 'not producing' error at debug, and other reasons at error", () => {
    const map = createNodeosLevelMapper();
    expect(
      map(
        line(
          "error 2024-09-01T12:00:00.500 nodeos producer_plugin.cpp:2747 start_block ] Not producing block because production is explicitly paused",
        ),
      ),
    ).toBe("debug");
    expect(
      map(
        line(
          "<3>error 2024-09-01T12:00:00.500 nodeos producer_plugin.cpp:2747 start_block ] Not producing block because production is explicitly paused",
        ),
      ),
    ).toBe("debug");
    expect(
      map(
        line(
          "error 2024-09-01T12:00:00.500 nodeos producer_plugin.cpp:2760 start_block ] Not producing block because no recent votes received from configured producer, block 5000",
        ),
      ),
    ).toBe("error");
  });
});

describe("nodeos dirty line", () => {
  it("is read in every version's wording, EOSIO 2.1's capital D included", () => {
    expect(
      isDirtyLine(
        "error 2023-06-01T12:00:00.500 nodeos controller.cpp:1 f ] database dirty flag set (likely due to unclean shutdown): replay required",
      ),
    ).toBe(true);
    expect(
      isDirtyLine(
        "error 2021-06-01T12:00:00.500 nodeos controller.cpp:1 f ] Database dirty flag set (likely due to unclean shutdown): replay required",
      ),
    ).toBe(true);
    expect(isDirtyLine("info  2023-06-01T12:00:00.500 nodeos controller.cpp:1 f ] database opened")).toBe(false);
    expect(isDirtyLine("atabase dirty flag set at the start")).toBe(false);
    expect(isDirtyLine("info  ] xatabase dirty flag set, then: database dirty flag set")).toBe(true);
  });
});
