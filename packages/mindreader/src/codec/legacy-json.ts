import { Serializer } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";
import { BlockHeader } from "./header.js";
import { parseChainTime } from "./time.js";

type Json = Record<string, unknown>;

/** Reads the older deep-mind JSON block state (`ACCEPTED_BLOCK <num> {json}`): id and previous as the JSON says, the id checked against the header. */
export function decodeLegacyJsonMeta(json: string, printedNum?: number): BlockMeta {
  const what = `ACCEPTED_BLOCK ${printedNum ?? "?"} JSON`;
  let state: unknown;
  try {
    state = JSON.parse(json);
  } catch (error) {
    // The block state is one object: text that does not close it was cut.
    if (!json.endsWith("}")) throw MindreaderErrors.blockIncomplete(what, (error as Error).message, { cause: error });
    throw MindreaderErrors.decode(what, (error as Error).message, { cause: error });
  }
  const root = object(state, what);
  const header = object(root["header"] ?? object(root["block"], `${what} block`), `${what} header`);
  const num = integer(root["block_num"], `${what} block_num`);
  const id = hex32(root["id"], `${what} id`);
  const previous = hex32(header["previous"], `${what} header.previous`);
  if (printedNum !== undefined && printedNum !== num) throw MindreaderErrors.decode(what, `the JSON is block ${num}`);
  const computed = headerId(header, num, what);
  if (computed !== id) throw MindreaderErrors.blockIdMismatch(num, computed, id);
  return {
    num,
    id,
    previous,
    timestamp: new Date(parseChainTime(text(header["timestamp"], `${what} header.timestamp`))).toISOString(),
    producer: text(header["producer"], `${what} header.producer`),
    lib: integer(root["dpos_irreversible_blocknum"], `${what} dpos_irreversible_blocknum`),
  };
}

// The JSON names the id; recomputing it from the header proves the header was read right.
function headerId(header: Json, num: number, what: string): string {
  try {
    const plain = BlockHeader.from({ ...header, new_producers: header["new_producers"] ?? undefined });
    return computeBlockId(Serializer.encode({ object: plain }).array, num);
  } catch (error) {
    throw MindreaderErrors.decode(`${what} header`, (error as Error).message, { cause: error });
  }
}

function object(value: unknown, what: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw MindreaderErrors.decode(what, "not an object");
  }
  return value as Json;
}

function integer(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw MindreaderErrors.decode(what, "not a block number");
  }
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") throw MindreaderErrors.decode(what, "not a string");
  return value;
}

function hex32(value: unknown, what: string): string {
  const id = text(value, what).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(id)) throw MindreaderErrors.decode(what, "not a 32-byte hex id");
  return id;
}
