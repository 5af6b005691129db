import { describe, expect, it } from "vitest";
import { linesOf } from "../../test/dmlog.js";
import { decodeAcceptedLine } from "./accepted.js";

// The accepted lines of the fixtures, as the assembler hands them over (without `DMLOG <kind> `).
const leap = new Map(linesOf("leap-13.dmlog", "ACCEPTED_BLOCK").map((f) => [Number(f[2]), f.slice(2)]));
const springV2 = new Map(linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2").map((f) => [Number(f[3]), f.slice(2)]));
const legacyJson = linesOf("legacy-json-soft-fail.dmlog", "ACCEPTED_BLOCK")[0]!.slice(2);

function leapLine(num: number, payload: (hex: string) => string): string {
  const [printed, hex] = leap.get(num)!;
  return `${printed} ${payload(hex!)}`;
}

function v2Line(num: number, change: (fields: string[]) => string[]): string {
  return change([...springV2.get(num)!]).join(" ");
}

function codeOf(decode: () => unknown): string | undefined {
  try {
    decode();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("accepted lines that must never become blocks", () => {
  it("reads the fixtures' lines whole, as printed", () => {
    for (const num of [2, 3, 4, 5])
      expect(
        decodeAcceptedLine(
          "ACCEPTED_BLOCK",
          leapLine(num, (hex) => hex),
          "leap-13",
        ).meta.num,
      ).toBe(num);
    expect(
      decodeAcceptedLine(
        "ACCEPTED_BLOCK_V2",
        v2Line(4, (f) => f),
        "spring-1",
      ).meta.num,
    ).toBe(4);
  });

  it("refuses a leap block state cut anywhere past its header, at an even or an odd digit count", () => {
    // Block 3 is 11 KiB, far past the first 4 KiB; block 5 is short, cut past its header.
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK",
          leapLine(3, (hex) => hex.slice(0, -2)),
          "leap-13",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_INCOMPLETE");
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK",
          leapLine(3, (hex) => hex.slice(0, -1)),
          "leap-13",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_INCOMPLETE");
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK",
          leapLine(5, (hex) => hex.slice(0, 2000)),
          "leap-13",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_INCOMPLETE");
  });

  it("refuses non-hex past the first 4 KiB, and bytes after the end of the block state", () => {
    const garbled = (hex: string) => `${hex.slice(0, -10)}zz${hex.slice(-8)}`;
    expect(codeOf(() => decodeAcceptedLine("ACCEPTED_BLOCK", leapLine(3, garbled), "leap-13"))).toBe("MDR_ERR_DECODE");
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK",
          leapLine(3, (hex) => `${hex}00`),
          "leap-13",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_TRAILING_BYTES");
  });

  it("refuses a spring V2 line cut in its signed block, or missing the fields after it", () => {
    // Block 4's signed block is 19 KiB, past the first KiB the fast path read first.
    const cut = (f: string[]) => [f[0]!, f[1]!, f[2]!, f[3]!.slice(0, -200), ...f.slice(4)];
    expect(codeOf(() => decodeAcceptedLine("ACCEPTED_BLOCK_V2", v2Line(4, cut), "spring-1"))).toBe("MDR_ERR_BLOCK_INCOMPLETE");
    // The line ends inside the signed block: the three hex fields after it never came.
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK_V2",
          v2Line(4, (f) => cut(f).slice(0, 4)),
          "spring-1",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_INCOMPLETE");
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK_V2",
          v2Line(4, (f) => [...f.slice(0, 6), `${f[6]!}0`]),
          "spring-1",
        ),
      ),
    ).toBe("MDR_ERR_BLOCK_INCOMPLETE");
  });

  it("refuses a legacy JSON block state cut short", () => {
    const [printed, ...json] = legacyJson;
    const text = json.join(" ");
    expect(codeOf(() => decodeAcceptedLine("ACCEPTED_BLOCK", `${printed} ${text.slice(0, text.length / 2)}`, undefined))).toBe(
      "MDR_ERR_BLOCK_INCOMPLETE",
    );
  });

  it("refuses a LIB ahead of its block, in every dialect", () => {
    // dpos_irreversible_blocknum is the third uint32 (little-endian) of the block state: block 4 says LIB 9.
    const libNine = (hex: string) => `${hex.slice(0, 16)}09000000${hex.slice(24)}`;
    const leapError = codeOf(() => decodeAcceptedLine("ACCEPTED_BLOCK", leapLine(4, libNine), "leap-13"));
    expect(leapError).toBe("MDR_ERR_LIB_AHEAD");
    expect(
      codeOf(() =>
        decodeAcceptedLine(
          "ACCEPTED_BLOCK_V2",
          v2Line(4, (f) => [f[0]!, f[1]!, "5", ...f.slice(3)]),
          "spring-1",
        ),
      ),
    ).toBe("MDR_ERR_LIB_AHEAD");
    const [printed, ...json] = legacyJson;
    const ahead = json.join(" ").replace('"dpos_irreversible_blocknum":29', '"dpos_irreversible_blocknum":31');
    expect(ahead).not.toBe(json.join(" "));
    expect(codeOf(() => decodeAcceptedLine("ACCEPTED_BLOCK", `${printed} ${ahead}`, undefined))).toBe("MDR_ERR_LIB_AHEAD");
    // LIB equal to the block is not ahead of it.
    expect(
      decodeAcceptedLine(
        "ACCEPTED_BLOCK_V2",
        v2Line(4, (f) => [f[0]!, f[1]!, "4", ...f.slice(3)]),
        "spring-1",
      ).meta.lib,
    ).toBe(4);
  });
});
