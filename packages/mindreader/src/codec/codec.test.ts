import { isManageosError } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { linesOf } from "../../test/dmlog.js";
import { blockIdOf, blockNumFromId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";
import { buildLeapBlockState, buildSignedBlock } from "./build.js";
import {
  decodeBlockStateMeta,
  decodeLeapBlockState,
  decodeSpringBlockStateLegacy,
  encodeLeapBlockState,
  encodeSpringBlockStateLegacy,
} from "./leap.js";
import { decodeLegacyJsonMeta } from "./legacy-json.js";
import { formatAcceptedBlockLine, formatAcceptedBlockV2Line } from "./lines.js";
import { decodeSignedBlock, decodeSignedBlockMeta, encodeSignedBlock } from "./spring.js";

function metaOf(fields: string[], layout: "leap" | "spring" = "leap"): BlockMeta {
  if (fields[1] === "ACCEPTED_BLOCK") return decodeBlockStateMeta(fields[3]!, Number(fields[2]), layout);
  return decodeSignedBlockMeta({
    id: fields[2]!,
    num: Number(fields[3]),
    lib: Number(fields[4]),
    block: fields[5]!,
    rest: fields.slice(6),
  });
}

function acceptedLines(name: string): string[][] {
  return [...linesOf(name, "ACCEPTED_BLOCK"), ...linesOf(name, "ACCEPTED_BLOCK_V2")].sort(
    (a, b) => Number(a[1] === "ACCEPTED_BLOCK" ? a[2] : a[3]) - Number(b[1] === "ACCEPTED_BLOCK" ? b[2] : b[3]),
  );
}

function expectChain(metas: BlockMeta[], first: number, last: number): void {
  expect(metas.map((m) => m.num)).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
  for (const [i, meta] of metas.entries()) {
    expect(Buffer.from(meta.id, "hex").readUInt32BE(0)).toBe(meta.num);
    if (i > 0) expect(meta.previous).toBe(metas[i - 1]!.id);
  }
}

describe("leap 13 fixture", () => {
  const lines = acceptedLines("leap-13.dmlog");

  it("gives every block an id starting with its number, each linking to the one before", () => {
    const metas = lines.map((fields) => metaOf(fields));
    expectChain(metas, 2, 5);
    // Block 2 follows genesis block 1, whose id is the first active node of block 2's blockroot merkle.
    const state = decodeLeapBlockState(lines[0]![3]!);
    expect(metas[0]!.previous).toBe(String(state.blockroot_merkle._active_nodes[0]));
  });

  it("reads LIB, producer and time from the block state", () => {
    for (const fields of lines) {
      const state = decodeLeapBlockState(fields[3]!);
      const meta = metaOf(fields);
      expect(meta.lib).toBe(state.dpos_irreversible_blocknum.toNumber());
      expect(meta.producer).toBe("eosio");
      expect(meta.timestamp).toBe(`${String(state.header.timestamp)}Z`);
      expect(meta.lib).toBeLessThan(meta.num);
    }
  });

  it("re-encodes every block state to the same hex", () => {
    for (const fields of lines) {
      const state = decodeLeapBlockState(fields[3]!);
      expect(state.block).toBeDefined();
      expect(encodeLeapBlockState(state)).toBe(fields[3]);
      expect(formatAcceptedBlockLine(state)).toBe(fields.join(" "));
    }
  });

  it("refuses a block state whose header does not hash to its id", () => {
    const hex = lines[1]![3]!;
    // Flip one byte inside the header's transaction_mroot: the printed id no longer matches.
    const state = decodeLeapBlockState(hex);
    const mroot = String(state.header.transaction_mroot);
    const flipped = hex.replace(mroot, `${mroot.slice(0, 62)}${mroot.endsWith("00") ? "01" : "00"}`);
    expect(() => decodeBlockStateMeta(flipped, 3)).toThrowError(expect.objectContaining({ code: "MDR_ERR_BLOCK_ID_MISMATCH" }));
  });

  it("refuses what is not hex, with a coded error", () => {
    try {
      decodeBlockStateMeta("zz00", 2);
      expect.unreachable();
    } catch (error) {
      expect(isManageosError(error) && error.code).toBe("MDR_ERR_DECODE");
    }
  });
});

describe("spring 1 fixture", () => {
  const lines = acceptedLines("spring-1.dmlog");

  it("links legacy ACCEPTED_BLOCK and ACCEPTED_BLOCK_V2 blocks into one chain", () => {
    expect(lines.filter((f) => f[1] === "ACCEPTED_BLOCK")).toHaveLength(2);
    expectChain(
      lines.map((fields) => metaOf(fields, "spring")),
      2,
      35,
    );
  });

  it("computes each V2 id as printed, and takes LIB from the line", () => {
    for (const fields of linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2")) {
      const meta = metaOf(fields);
      expect(meta.id).toBe(fields[2]);
      expect(meta.lib).toBe(Number(fields[4]));
    }
  });

  it("refuses a V2 line whose printed id is not the block's", () => {
    const fields = linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2")[0]!;
    const wrong = `${fields[2]!.slice(0, 60)}0000`;
    expect(() => metaOf([fields[0]!, fields[1]!, wrong, ...fields.slice(3)])).toThrowError(
      expect.objectContaining({ code: "MDR_ERR_BLOCK_ID_MISMATCH" }),
    );
  });

  it("re-encodes legacy states and signed blocks to the same hex", () => {
    for (const fields of linesOf("spring-1.dmlog", "ACCEPTED_BLOCK")) {
      const state = decodeSpringBlockStateLegacy(fields[3]!);
      expect(encodeSpringBlockStateLegacy(state)).toBe(fields[3]);
      expect(formatAcceptedBlockLine(state, "spring")).toBe(fields.join(" "));
    }
    for (const fields of linesOf("spring-1.dmlog", "ACCEPTED_BLOCK_V2")) {
      const block = decodeSignedBlock(fields[5]!);
      expect(encodeSignedBlock(block)).toBe(fields[5]);
      expect(blockIdOf(block)).toBe(fields[2]);
      const extras = { finalityData: fields[6]!, proposerPolicy: fields[7]!, finalizerPolicy: fields[8]! };
      expect(formatAcceptedBlockV2Line(block, Number(fields[4]), extras)).toBe(fields.join(" "));
    }
  });
});

describe("legacy JSON fixtures", () => {
  for (const name of ["legacy-json-soft-fail.dmlog", "legacy-json-hard-fail.dmlog"]) {
    it(`${name}: id, previous, LIB and producer as the JSON says`, () => {
      const fields = linesOf(name, "ACCEPTED_BLOCK")[0]!;
      const json = fields.slice(3).join(" ");
      const state = JSON.parse(json) as {
        block_num: number;
        id: string;
        dpos_irreversible_blocknum: number;
        header: { previous: string; producer: string; timestamp: string };
      };
      const meta = decodeLegacyJsonMeta(json, Number(fields[2]));
      expect(meta.num).toBe(state.block_num);
      expect(meta.id).toBe(state.id);
      expect(meta.previous).toBe(state.header.previous);
      expect(meta.lib).toBe(state.dpos_irreversible_blocknum);
      expect(meta.producer).toBe(state.header.producer);
      expect(meta.timestamp).toBe(`${state.header.timestamp}Z`);
      expect(blockNumFromId(meta.id)).toBe(meta.num);
    });
  }

  it("refuses JSON whose id does not match its header", () => {
    const fields = linesOf("legacy-json-soft-fail.dmlog", "ACCEPTED_BLOCK")[0]!;
    const state = JSON.parse(fields.slice(3).join(" ")) as { id: string };
    const json = JSON.stringify({
      ...state,
      id: `${state.id.slice(0, 62)}00` === state.id ? `${state.id.slice(0, 62)}11` : `${state.id.slice(0, 62)}00`,
    });
    expect(() => decodeLegacyJsonMeta(json, 30)).toThrowError(expect.objectContaining({ code: "MDR_ERR_BLOCK_ID_MISMATCH" }));
  });
});

describe("encoder for simulators", () => {
  it("builds a linked chain whose lines decode back to the same ids", () => {
    const genesis = `00000001${"ab".repeat(28)}`;
    let previous = genesis;
    const start = Date.UTC(2024, 0, 1);
    for (let i = 0; i < 5; i++) {
      const block = buildSignedBlock({ previous, timeMs: start + i * 500, producer: "bp.a" });
      const state = buildLeapBlockState(block, i);
      const fields = formatAcceptedBlockLine(state).split(" ");
      const meta = metaOf(fields);
      expect(meta.num).toBe(i + 2);
      expect(meta.previous).toBe(previous);
      expect(meta.producer).toBe("bp.a");
      expect(meta.lib).toBe(i);
      expect(Date.parse(meta.timestamp)).toBe(start + i * 500);
      const v2 = metaOf(formatAcceptedBlockV2Line(block, i).split(" "));
      expect(v2).toEqual(meta);
      previous = meta.id;
    }
  });
});
