import { Serializer } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";
import { SignedBlock, SignedBlockTail } from "./block.js";
import { BlockHeader } from "./header.js";
import { decodeWhole, hexBytes, hexScratch } from "./hex.js";
import { readFast, readSignedBlockMeta } from "./packed-header.js";
import { blockTimeIso } from "./time.js";

/** The fields of `ACCEPTED_BLOCK_V2 <id> <num> <lib> <block> <finality data> <proposer policy> <finalizer policy>`. */
export interface AcceptedBlockV2Fields {
  readonly id: string;
  readonly num: number;
  readonly lib: number;
  /** Hex of the packed `signed_block`. */
  readonly block: string;
  /** The remaining hex fields, kept as printed. */
  readonly rest: readonly string[];
}

/**
 * Reads a spring V2 block: header facts from the signed block, id computed and checked against the printed one. The
 * signed block must decode exactly to its last byte (a cut one is MDR_ERR_BLOCK_INCOMPLETE) and the fields after it
 * must be hex; those are kept as printed, not decoded.
 */
export function decodeSignedBlockMeta(fields: AcceptedBlockV2Fields): BlockMeta {
  const what = `ACCEPTED_BLOCK_V2 ${fields.num} signed block`;
  for (const [i, field] of fields.rest.entries()) hexScratch(field, `ACCEPTED_BLOCK_V2 ${fields.num} field ${i + 5}`);
  // Decoded last, as the same buffer is reused; only strings and numbers are kept from the bytes.
  const bytes = hexScratch(fields.block, what);
  const fast = readFast(bytes, readSignedBlockMeta);
  // Anything unusual (a mismatch included) goes through the full decoder, which gives the reference answer or error.
  if (fast !== undefined && fast.num === fields.num && fast.id === fields.id.toLowerCase()) return { ...fast, lib: fields.lib };
  const { header, id } = decodeWhole(bytes, what, (decoder) => {
    const header = Serializer.decode({ data: decoder, type: BlockHeader });
    const previous = String(header.previous);
    const id = computeBlockId(bytes.subarray(0, decoder.getPosition()), Number.parseInt(previous.slice(0, 8), 16) + 1);
    Serializer.decode({ data: decoder, type: SignedBlockTail });
    return { header, id };
  });
  const previous = String(header.previous);
  const num = Number.parseInt(previous.slice(0, 8), 16) + 1;
  if (num !== fields.num) {
    throw MindreaderErrors.decode(`ACCEPTED_BLOCK_V2 ${fields.num}`, `the signed block is block ${num}`);
  }
  if (id !== fields.id.toLowerCase()) throw MindreaderErrors.blockIdMismatch(num, id, fields.id);
  return {
    num,
    id,
    previous,
    timestamp: blockTimeIso(header.timestamp),
    producer: String(header.producer),
    lib: fields.lib,
  };
}

/** Decodes a whole packed `signed_block`. */
export function decodeSignedBlock(hex: string): SignedBlock {
  return Serializer.decode({ data: hexBytes(hex, "signed block"), type: SignedBlock });
}

/** Packs a signed block as spring's `ACCEPTED_BLOCK_V2` prints it (lowercase hex). */
export function encodeSignedBlock(block: SignedBlock): string {
  return Serializer.encode({ object: SignedBlock.from(block), type: SignedBlock }).hexString;
}
