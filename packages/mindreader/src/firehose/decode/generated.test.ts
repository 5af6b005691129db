import { beforeAll, describe, expect, it } from "vitest";
import { FirehoseDecoder } from "./decoder.js";
import { expectBlockMatchesLines } from "./test-support/compare.js";
import { type GeneratedChain, generateChain } from "./test-support/generator.js";
import { type IndependentSchema, independentSchema } from "./test-support/independent.js";
import { parseLines } from "./test-support/lines-parse.js";
import { splitDmlog } from "./test-support/split.js";

type Json = Record<string, unknown>;

const BLOCKS = 3000;
const FORK_AT = 1200;
const DEX_ABI_AT = [400, 2000] as const;

let chain: GeneratedChain;
let schema: IndependentSchema;
beforeAll(() => {
  const started = performance.now();
  chain = generateChain({ blocks: BLOCKS, seed: 7, forkAt: FORK_AT, dexAbiAt: DEX_ABI_AT, droppedBranchAbi: true });
  console.log(`generated ${BLOCKS} blocks in ${Math.round(performance.now() - started)} ms`);
  schema = independentSchema();
}, 240_000);

describe("FirehoseDecoder on a generated chain (transfers, new accounts, ABI changes, a fork)", () => {
  it("decodes every block into bytes the published schema reads back as the lines say, json_data per the ABI of the time", () => {
    const decoder = new FirehoseDecoder({ chain: "leap" });
    const seen = { blocks: 0, traces: 0, actions: 0, dbOps: 0, ramOps: 0, json: 0, rawOnly: 0, v1: 0, v2: 0 };
    const ids: string[] = [];
    for (const piece of splitDmlog(chain.text)) {
      if (!piece.inBlock) {
        decoder.observe(piece.bytes);
        continue;
      }
      const decoded = decoder.decode(piece.bytes);
      const { payload } = schema.decode(decoded.bstream);
      const lines = parseLines(piece.lines);
      expectBlockMatchesLines(payload, lines);
      ids.push(decoded.id);
      seen.blocks++;
      for (const trace of payload.unfiltered_transaction_traces as Json[]) {
        seen.traces++;
        const expected = chain.expectedJson.get(String(trace.id))!;
        (trace.action_traces as Json[]).forEach((t, i) => {
          const action = t.action as Json;
          expect(action.json_data, `${trace.id} action ${i}`).toBe(expected[i]);
          seen.actions++;
          if (action.json_data === "") seen.rawOnly++;
          else seen.json++;
          if (action.account === "dex" && action.json_data !== "") {
            if (String(action.json_data).includes('"memo"')) seen.v2++;
            else seen.v1++;
          }
        });
        seen.dbOps += (trace.db_ops as Json[]).length;
        seen.ramOps += (trace.ram_ops as Json[]).length;
      }
    }
    // Every block of the log, the dropped branch's three included; the block cut by SWITCH_FORK is not one.
    expect(seen.blocks).toBe(BLOCKS + 3);
    expect(new Set(ids).size).toBe(BLOCKS + 3);
    expect(ids).toEqual(expect.arrayContaining([...chain.fork.dropped, ...chain.fork.kept]));
    expect(seen.traces).toBeGreaterThan(BLOCKS * 3);
    expect(seen.dbOps).toBeGreaterThan(BLOCKS);
    expect(seen.ramOps).toBeGreaterThan(BLOCKS);
    // Both dex ABIs were used, after their setabi; before the first, and for bad data, only raw data.
    expect(seen.v1).toBeGreaterThan(100);
    expect(seen.v2).toBeGreaterThan(100);
    expect(seen.rawOnly).toBeGreaterThan(BLOCKS);
  }, 300_000);

  it("links each block to the one before, the fork's replacement branch to the block before the fork", () => {
    const decoder = new FirehoseDecoder();
    const byId = new Map<string, { number: number; parentId: string }>();
    for (const piece of splitDmlog(chain.text)) {
      if (!piece.inBlock) continue;
      const block = decoder.decode(piece.bytes);
      byId.set(block.id, block);
      expect(Number.parseInt(block.id.slice(0, 8), 16)).toBe(block.number);
      const parent = byId.get(block.parentId);
      if (parent !== undefined) expect(parent.number).toBe(block.number - 1);
      else expect(block.number).toBe(2);
    }
    const firstDropped = byId.get(chain.fork.dropped[0]!)!;
    const firstKept = byId.get(chain.fork.kept[0]!)!;
    expect(firstKept.parentId).toBe(firstDropped.parentId);
  }, 300_000);
});
