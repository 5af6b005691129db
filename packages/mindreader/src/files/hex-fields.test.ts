import { describe, expect, it } from "vitest";
import { fixtureLines } from "../../test/dmlog.js";
import { findDamagedHex } from "./hex-fields.js";

const bytes = (lines: string[]) => Buffer.from(`${lines.join("\n")}\n`);

describe("hex payloads of a block's lines", () => {
  it("passes every line of nodeos' own leap 13 and spring 1 output, and the legacy JSON dialect", () => {
    for (const name of ["leap-13.dmlog", "spring-1.dmlog", "legacy-json-soft-fail.dmlog", "legacy-json-hard-fail.dmlog"]) {
      expect(findDamagedHex(bytes(fixtureLines(name)))).toBeUndefined();
    }
  });

  it("finds a trace cut at an odd digit, a row that is not hex, a V2 field cut, a trace missing", () => {
    const trace = fixtureLines("leap-13.dmlog").find((line) => line.startsWith("DMLOG APPLIED_TRANSACTION 3 "))!;
    expect(findDamagedHex(bytes(["DMLOG START_BLOCK 3", trace.slice(0, -1)]))).toEqual({
      cut: true,
      what: "APPLIED_TRANSACTION 3",
      reason: `an odd number of hex digits (${trace.length - 1 - "DMLOG APPLIED_TRANSACTION 3 ".length})`,
    });
    expect(findDamagedHex(bytes(["DMLOG DB_OP UPD 0 eosio:eosio eosio eosio abihash eosio 00ff:00zz"]))).toEqual({
      cut: false,
      what: "DB_OP UPD new row",
      reason: "not hex from digit 2 on",
    });
    const v2 = fixtureLines("spring-1.dmlog").find((line) => line.startsWith("DMLOG ACCEPTED_BLOCK_V2 "))!;
    expect(findDamagedHex(bytes([v2.slice(0, -1)]))).toMatchObject({ cut: true, what: "ACCEPTED_BLOCK_V2 field 7" });
    expect(findDamagedHex(bytes(["DMLOG APPLIED_TRANSACTION 3"]))).toMatchObject({ cut: true, reason: "no trace after the block number" });
    expect(findDamagedHex(bytes(["DMLOG TRX_OP CREATE onblock ab12 0a0"]))).toMatchObject({ cut: true, what: "TRX_OP CREATE" });
  });
});
