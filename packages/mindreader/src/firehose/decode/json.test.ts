import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FirehoseDecoder } from "./decoder.js";
import { bstreamBlockToJson } from "./json.js";
import { generateChain } from "./test-support/generator.js";
import { type IndependentSchema, independentSchema } from "./test-support/independent.js";
import { splitDmlog } from "./test-support/split.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");

let schema: IndependentSchema;
beforeAll(() => {
  schema = independentSchema();
});

function encodedBlocks(text: string): Uint8Array[] {
  const decoder = new FirehoseDecoder();
  const out: Uint8Array[] = [];
  for (const piece of splitDmlog(text)) {
    if (piece.inBlock) out.push(decoder.decode(piece.bytes).bstream);
    else decoder.observe(piece.bytes);
  }
  return out;
}

describe("bstreamBlockToJson", () => {
  it.each(["leap-13.dmlog", "spring-1.dmlog"])("writes %s's blocks as @bufbuild/protobuf's JSON mapping does", (file) => {
    const blocks = encodedBlocks(readFileSync(join(FIXTURES, file), "utf8"));
    expect(blocks.length).toBeGreaterThan(3);
    for (const bytes of blocks) expect(bstreamBlockToJson(bytes)).toEqual(schema.json(bytes));
  });

  it("does the same for transfers, new accounts and dex trades", () => {
    const chain = generateChain({ blocks: 60, seed: 3, dexAbiAt: [10, 30] });
    for (const bytes of encodedBlocks(chain.text)) expect(bstreamBlockToJson(bytes)).toEqual(schema.json(bytes));
  }, 60_000);

  it("names the payload's type and unpacks it", () => {
    const [bytes] = encodedBlocks(readFileSync(join(FIXTURES, "leap-13.dmlog"), "utf8"));
    const json = bstreamBlockToJson(bytes!) as { number: string; payload: Record<string, unknown> };
    expect(json.number).toBe("2");
    expect(json.payload["@type"]).toBe("type.googleapis.com/sf.antelope.type.v1.Block");
    expect(json.payload.number).toBe(2);
  });
});
