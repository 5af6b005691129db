import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeAcceptedLine } from "../../reader/accepted.js";
import type { DeepMindVersion } from "../../reader/version.js";
import { dbinFrame } from "../dbin.js";
import { FirehoseDecoder } from "./decoder.js";
import { firehoseSchema } from "./schema.js";
import { expectBlockMatchesLines } from "./test-support/compare.js";
import { type IndependentSchema, independentSchema } from "./test-support/independent.js";
import { parseLines } from "./test-support/lines-parse.js";
import { splitDmlog } from "./test-support/split.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

let schema: IndependentSchema;
beforeAll(() => {
  schema = independentSchema();
});

const CASES: Array<{ file: string; version: DeepMindVersion; blocks: number }> = [
  { file: "leap-13.dmlog", version: "leap-13", blocks: 4 },
  { file: "spring-1.dmlog", version: "spring-1", blocks: 34 },
];

describe.each(CASES)("FirehoseDecoder on $file (real nodeos output)", ({ file, version, blocks }) => {
  const pieces = splitDmlog(readFileSync(join(FIXTURES, file), "utf8"));

  it("decodes every block with the header the accepted line gives, linked to the one before", () => {
    const decoder = new FirehoseDecoder();
    let previous: string | undefined;
    let count = 0;
    for (const piece of pieces) {
      if (!piece.inBlock) {
        decoder.observe(piece.bytes);
        continue;
      }
      const block = decoder.decode(piece.bytes);
      const accepted = piece.lines.at(-1)!.slice("DMLOG ".length);
      const kind = accepted.startsWith("ACCEPTED_BLOCK_V2 ") ? "ACCEPTED_BLOCK_V2" : "ACCEPTED_BLOCK";
      const { meta } = decodeAcceptedLine(kind, accepted.slice(kind.length + 1), version);
      expect(block).toMatchObject({
        number: meta.num,
        id: meta.id,
        parentId: meta.previous,
        parentNum: meta.num - 1,
        libNum: meta.lib,
        timestampMs: Date.parse(meta.timestamp),
      });
      expect(Number.parseInt(block.id.slice(0, 8), 16)).toBe(block.number);
      if (previous !== undefined) expect(block.parentId).toBe(previous);
      previous = block.id;
      count++;
    }
    expect(count).toBe(blocks);
  });

  it("writes bytes the published schema decodes, with every transaction, action, db op and RAM op of the lines", () => {
    const decoder = new FirehoseDecoder();
    let traces = 0;
    for (const piece of pieces) {
      if (!piece.inBlock) {
        decoder.observe(piece.bytes);
        continue;
      }
      const decoded = decoder.decode(piece.bytes);
      const { block, payload } = schema.decode(decoded.bstream);
      expect(block).toMatchObject({
        number: String(decoded.number),
        id: decoded.id,
        parent_id: decoded.parentId,
        lib_num: String(decoded.libNum),
        parent_num: String(decoded.parentNum),
        timestamp: new Date(decoded.timestampMs).toISOString().replace(".000Z", "Z"),
      });
      expect(payload).toMatchObject({ id: decoded.id, number: decoded.number });
      expect((payload.header as Record<string, unknown>).previous).toBe(decoded.parentId);
      const lines = parseLines(piece.lines);
      expectBlockMatchesLines(payload, lines);
      traces += lines.transactions.length;
    }
    expect(traces).toBeGreaterThan(0);
  });

  it("frames each block as dbin does, with the bytes protobufjs writes for the whole message", () => {
    const decoder = new FirehoseDecoder();
    const { bstreamBlock } = firehoseSchema();
    for (const piece of pieces) {
      if (!piece.inBlock) {
        decoder.observe(piece.bytes);
        continue;
      }
      const { frame, bstream } = decoder.decode(piece.bytes);
      expect(frame.byteOffset).toBe(0);
      expect(frame.buffer.byteLength).toBe(frame.length);
      expect(Buffer.from(frame).equals(Buffer.from(dbinFrame(bstream)))).toBe(true);
      const whole = bstreamBlock.encode(bstreamBlock.decode(bstream)).finish();
      expect(Buffer.from(bstream).equals(Buffer.from(whole))).toBe(true);
    }
  });
});
