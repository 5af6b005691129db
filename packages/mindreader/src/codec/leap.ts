import { type ABIDecoder, Checksum256, Serializer } from "@wharfkit/antelope";
import { MindreaderErrors } from "../errors.js";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";
import { BlockHeaderStateLegacyCommon, LeapBlockState, SpringBlockStateLegacy } from "./block-state.js";
import { BlockHeader } from "./header.js";
import { hexBytes, readHexPrefix } from "./hex.js";
import { readHexGrowing, readLegacyBlockStateMeta } from "./packed-header.js";
import { blockTimeIso } from "./time.js";

/** Which `block_state_legacy` layout an `ACCEPTED_BLOCK <num> <hex>` line carries. */
export type LegacyStateLayout = "leap" | "spring";

// Bytes of a block state read first by the fast path: its header comes after the producer schedule, the merkle and
// the producers' maps, under 2 KiB with EOS' 21 producers.
const FAST_PREFIX_BYTES = 4096;

/** Reads the header facts off a packed `block_state_legacy` (the prefix only) and computes the block id. */
export function decodeBlockStateMeta(hex: string, printedNum?: number): BlockMeta {
  const fast = readHexGrowing(hex, FAST_PREFIX_BYTES, readLegacyBlockStateMeta);
  // Anything unusual (a mismatch included) goes through the full decoder, which gives the reference answer or error.
  if (fast !== undefined && fast.id === fast.printedId && (printedNum === undefined || printedNum === fast.num)) {
    const { printedId: _, ...meta } = fast;
    return meta;
  }
  return readHexPrefix(hex, "ACCEPTED_BLOCK block state", (decoder, bytes) => metaFrom(decoder, bytes, printedNum));
}

function metaFrom(decoder: ABIDecoder, bytes: Buffer, printedNum: number | undefined): BlockMeta {
  const common = Serializer.decode({ data: decoder, type: BlockHeaderStateLegacyCommon });
  const printedId = String(Serializer.decode({ data: decoder, type: Checksum256 }));
  const start = decoder.getPosition();
  const header = Serializer.decode({ data: decoder, type: BlockHeader });
  const num = common.block_num.toNumber();
  const id = computeBlockId(bytes.subarray(start, decoder.getPosition()), num);
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
