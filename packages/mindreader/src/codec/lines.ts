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
export function formatAcceptedBlockLine(
  state: LeapBlockState | SpringBlockStateLegacy,
  layout: "leap" | "spring" = "leap",
): string {
  const hex =
    layout === "leap" ? encodeLeapBlockState(state) : encodeSpringBlockStateLegacy(state as SpringBlockStateLegacy);
  return `DMLOG ACCEPTED_BLOCK ${state.block_num.toNumber()} ${hex}`;
}

/** What spring prints after the signed block in `ACCEPTED_BLOCK_V2`, as hex; empty-ish defaults when unknown. */
export interface AcceptedBlockV2Extras {
  readonly finalityData?: string;
  readonly proposerPolicy?: string;
  readonly finalizerPolicy?: string;
}

/** spring 1's `DMLOG ACCEPTED_BLOCK_V2 <id> <num> <lib> <hex signed_block> <fd> <pp> <fp>`, the id computed from the block. */
export function formatAcceptedBlockV2Line(block: SignedBlock, lib: number, extras: AcceptedBlockV2Extras = {}): string {
  const id = blockIdOf(block);
  const num = Number.parseInt(id.slice(0, 8), 16);
  const fd = extras.finalityData ?? "00";
  const pp = extras.proposerPolicy ?? "00";
  const fp = extras.finalizerPolicy ?? "00";
  return `DMLOG ACCEPTED_BLOCK_V2 ${id} ${num} ${lib} ${encodeSignedBlock(block)} ${fd} ${pp} ${fp}`;
}
