import { Checksum256, Serializer } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";
import {
  BlockHeaderStateLegacyCommon,
  LeapBlockState,
  LeapBlockStateTail,
  SpringBlockStateLegacy,
  SpringBlockStateLegacyTail,
} from "./block-state.js";
import { BlockHeader } from "./header.js";
import { decodeWhole, hexBytes, hexScratch } from "./hex.js";
import { type LegacyStateLayout, readFast, readLegacyBlockStateMeta } from "./packed-header.js";
import { blockTimeIso } from "./time.js";

export type { LegacyStateLayout };

/**
 * Reads the header facts off a whole packed `block_state_legacy` and computes the block id. The payload must be
 * hex and decode in `layout` exactly to its last byte: a cut one is MDR_ERR_BLOCK_INCOMPLETE, never a block.
 */
export function decodeBlockStateMeta(hex: string, printedNum?: number, layout: LegacyStateLayout = "leap"): BlockMeta {
  const what = `ACCEPTED_BLOCK ${printedNum ?? "?"} block state`;
  // Only strings and numbers are kept from the bytes.
  const bytes = hexScratch(hex, what);
  const fast = readFast(bytes, (all) => readLegacyBlockStateMeta(all, layout));
  // Anything unusual (a mismatch included) goes through the full decoder, which gives the reference answer or error.
  if (fast !== undefined && fast.id === fast.printedId && (printedNum === undefined || printedNum === fast.num)) {
    const { printedId: _, ...meta } = fast;
    return meta;
  }
  return metaFrom(bytes, what, printedNum, layout);
}

function metaFrom(bytes: Buffer, what: string, printedNum: number | undefined, layout: LegacyStateLayout): BlockMeta {
  const { common, printedId, header, id } = decodeWhole(bytes, what, (decoder) => {
    const common = Serializer.decode({ data: decoder, type: BlockHeaderStateLegacyCommon });
    const printedId = String(Serializer.decode({ data: decoder, type: Checksum256 }));
    const start = decoder.getPosition();
    const header = Serializer.decode({ data: decoder, type: BlockHeader });
    const id = computeBlockId(bytes.subarray(start, decoder.getPosition()), common.block_num.toNumber());
    Serializer.decode({ data: decoder, type: layout === "leap" ? LeapBlockStateTail : SpringBlockStateLegacyTail });
    return { common, printedId, header, id };
  });
  const num = common.block_num.toNumber();
  if (id !== printedId) throw MindreaderErrors.blockIdMismatch(num, id, printedId);
  if (printedNum !== undefined && printedNum !== num) {
    throw MindreaderErrors.decode(`ACCEPTED_BLOCK ${printedNum}`, `the block state is block ${num}`);
  }
  return {
    num,
    id,
    previous: String(header.previous),
    timestamp: blockTimeIso(header.timestamp),
    producer: String(header.producer),
    lib: common.dpos_irreversible_blocknum.toNumber(),
  };
}

/** Decodes a whole leap 13 `block_state_legacy` (signed block included). */
export function decodeLeapBlockState(hex: string): LeapBlockState {
  return Serializer.decode({ data: hexBytes(hex, "leap block state"), type: LeapBlockState });
}

/** Decodes a whole spring 1 legacy block state (leap's plus `action_mroot_savanna`). */
export function decodeSpringBlockStateLegacy(hex: string): SpringBlockStateLegacy {
  return Serializer.decode({ data: hexBytes(hex, "spring block state"), type: SpringBlockStateLegacy });
}

/** Packs a leap block state as `ACCEPTED_BLOCK` prints it (lowercase hex). */
export function encodeLeapBlockState(state: LeapBlockState): string {
  return Serializer.encode({ object: LeapBlockState.from(state), type: LeapBlockState }).hexString;
}

/** Packs a spring legacy block state as spring's `ACCEPTED_BLOCK` prints it (lowercase hex). */
export function encodeSpringBlockStateLegacy(state: SpringBlockStateLegacy): string {
  return Serializer.encode({ object: SpringBlockStateLegacy.from(state), type: SpringBlockStateLegacy }).hexString;
}
