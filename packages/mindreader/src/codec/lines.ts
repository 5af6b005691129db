import type { LeapBlockState, SpringBlockStateLegacy } from "./block-state.js";
import type { SignedBlock } from "./block.js";
import { blockIdOf } from "./block-id.js";
import { encodeLeapBlockState, encodeSpringBlockStateLegacy } from "./leap.js";
import { encodeSignedBlock } from "./spring.js";

/** `DMLOG DEEP_MIND_VERSION leap 13 0` / `spring 1 0`. */
export function formatVersionLine(flavour: "leap" | "spring"): string {
  return flavour === "leap" ? "DMLOG DEEP_MIND_VERSION leap 13 0" : "DMLOG DEEP_MIND_VERSION spring 1 0";
}

/** `DMLOG START_BLOCK <num>`. */
export function formatStartBlockLine(num: number): string {
  return `DMLOG START_BLOCK ${num}`;
}

/** leap 13's `DMLOG ACCEPTED_BLOCK <num> <hex block_state_legacy>`; spring's legacy line when `layout` is `spring`. */
export function formatAcceptedBlockLine(state: LeapBlockState | SpringBlockStateLegacy, layout: "leap" | "spring" = "leap"): string {
  const hex = layout === "leap" ? encodeLeapBlockState(state) : encodeSpringBlockStateLegacy(state as SpringBlockStateLegacy);
  return `DMLOG ACCEPTED_BLOCK ${state.block_num.toNumber()} ${hex}`;
}

/** What spring prints after the signed block in `ACCEPTED_BLOCK_V2`, as hex; neutral but whole values when unknown. */
export interface AcceptedBlockV2Extras {
  readonly finalityData?: string;
  readonly proposerPolicy?: string;
  readonly finalizerPolicy?: string;
}

const u32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(n);
  return bytes.toString("hex");
};
const DIGEST = "00".repeat(32);
// Packed `finality_data_t` (light header protocol 1.0, zero digests, no pending finalizer policy), a
// `proposer_policy` with an empty schedule and a `finalizer_policy` without finalizers: a decoder that reads
// these fields whole (the Firehose one) accepts them.
const NEUTRAL_FINALITY_DATA = `${u32(1)}${u32(0)}${u32(0)}${DIGEST}${DIGEST}${u32(0)}${DIGEST}${u32(0)}${DIGEST}00${u32(0)}`;
const NEUTRAL_PROPOSER_POLICY = `${u32(0)}${u32(0)}00`;
const NEUTRAL_FINALIZER_POLICY = `${u32(0)}${"00".repeat(8)}00`;

/** spring 1's `DMLOG ACCEPTED_BLOCK_V2 <id> <num> <lib> <hex signed_block> <fd> <pp> <fp>`, the id computed from the block. */
export function formatAcceptedBlockV2Line(block: SignedBlock, lib: number, extras: AcceptedBlockV2Extras = {}): string {
  const id = blockIdOf(block);
  const num = Number.parseInt(id.slice(0, 8), 16);
  const fd = extras.finalityData ?? NEUTRAL_FINALITY_DATA;
  const pp = extras.proposerPolicy ?? NEUTRAL_PROPOSER_POLICY;
  const fp = extras.finalizerPolicy ?? NEUTRAL_FINALIZER_POLICY;
  return `DMLOG ACCEPTED_BLOCK_V2 ${id} ${num} ${lib} ${encodeSignedBlock(block)} ${fd} ${pp} ${fp}`;
}
