import { describe, expect, it } from "vitest";
import { FirehoseDecoder } from "./decoder.js";
import { bstreamBlockToJson } from "./json.js";
import { generateChain } from "./test-support/generator.js";
import { splitDmlog } from "./test-support/split.js";

describe("FirehoseDecoder.observe", () => {
  // With a fork whose dropped branch sets an ABI the replacing branch does not: whichever decoder only observes that
  // block must undo the change as the other does.
  const chain = generateChain({ blocks: 80, seed: 21, dexAbiAt: [10, 40], forkAt: 25, droppedBranchAbi: true });
  const pieces = splitDmlog(chain.text);

  it("lets two decoders share the blocks (each observes the other's) and write what one decoder writes", () => {
    const single = new FirehoseDecoder();
    const pair = [new FirehoseDecoder(), new FirehoseDecoder()] as const;
    let n = 0;
    for (const piece of pieces) {
      if (!piece.inBlock) {
        single.observe(piece.bytes);
        for (const d of pair) d.observe(piece.bytes);
        continue;
      }
      const mine = pair[n % 2]!;
      const other = pair[(n + 1) % 2]!;
      n++;
      const expected = single.decode(piece.bytes).bstream;
      expect(Buffer.from(mine.decode(piece.bytes).bstream).equals(Buffer.from(expected))).toBe(true);
      other.observe(piece.bytes);
    }
    expect(n).toBe(83);
  }, 60_000);

  it("is what gives the ABIs of the ABIDUMP printed before the first block: without it, no JSON", () => {
    const firstBlock = pieces.find((p) => p.inBlock)!;
    const json = (decoder: FirehoseDecoder) => {
      const block = bstreamBlockToJson(decoder.decode(firstBlock.bytes).bstream) as {
        payload: { unfilteredTransactionTraces: Array<{ actionTraces: Array<{ action: { account: string; jsonData?: string } }> }> };
      };
      return block.payload.unfilteredTransactionTraces
        .flatMap((t) => t.actionTraces)
        .filter((t) => t.action.account === "eosio.token")
        .map((t) => t.action.jsonData ?? "");
    };
    const informed = new FirehoseDecoder();
    informed.observe(pieces[0]!.bytes);
    const withAbi = json(informed);
    expect(withAbi.length).toBeGreaterThan(0);
    for (const text of withAbi) expect(JSON.parse(text)).toHaveProperty("quantity");
    expect(json(new FirehoseDecoder()).every((text) => text === "")).toBe(true);
  });
});
