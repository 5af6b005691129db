import { BlockTimestamp, Bytes, Checksum256, KeyType, Name, Signature } from "@wharfkit/antelope";
import { blockIdOf } from "./block-id.js";
import { LeapBlockState, SpringBlockStateLegacy } from "./block-state.js";
import { SignedBlock } from "./block.js";
import { SignedBlockHeader } from "./header.js";

const ZERO = "0".repeat(64);
// The eosio key of nodeos' deep-mind unit test; simulated blocks are never verified.
const EOSIO_KEY = "EOS5P52UyPoYL7vMiSREPvqxh6WebuMAunCMK4w53J7Gu6zmk4qyN";

/** What a simulated block needs; the rest gets neutral values. */
export interface BlockSpec {
  /** The previous block's id; its first 4 bytes give this block's number minus one. */
  readonly previous: string;
  /** Block time in epoch milliseconds (rounded down to the 500 ms slot). */
  readonly timeMs: number;
  readonly producer?: string;
  readonly transactionMroot?: string;
  readonly actionMroot?: string;
}

/** A minimal, well-formed signed block (no transactions) for simulators and tests. */
export function buildSignedBlock(spec: BlockSpec): SignedBlock {
  return SignedBlock.from({
    timestamp: BlockTimestamp.fromMilliseconds(spec.timeMs),
    producer: Name.from(spec.producer ?? "eosio"),
    confirmed: 0,
    previous: Checksum256.from(spec.previous),
    transaction_mroot: spec.transactionMroot ?? ZERO,
    action_mroot: spec.actionMroot ?? ZERO,
    schedule_version: 0,
    header_extensions: [],
    producer_signature: new Signature(KeyType.K1, new Bytes(new Uint8Array(65))),
    transactions: [],
    block_extensions: [],
  });
}

/** A leap `block_state_legacy` around a signed block: consistent number, id and LIB; a one-producer schedule. */
export function buildLeapBlockState(block: SignedBlock, lib: number): LeapBlockState {
  return LeapBlockState.from(stateFields(block, lib));
}

/** The spring layout of the same state (`action_mroot_savanna` absent). */
export function buildSpringBlockStateLegacy(block: SignedBlock, lib: number): SpringBlockStateLegacy {
  return SpringBlockStateLegacy.from(stateFields(block, lib));
}

function stateFields(block: SignedBlock, lib: number): Record<string, unknown> {
  const id = blockIdOf(block);
  const num = Number.parseInt(id.slice(0, 8), 16);
  const producer = String(block.producer);
  const schedule = {
    version: 0,
    producers: [{ producer_name: producer, authority: ["block_signing_authority_v0", authority()] }],
  };
  return {
    block_num: num,
    dpos_proposed_irreversible_blocknum: num,
    dpos_irreversible_blocknum: lib,
    active_schedule: schedule,
    blockroot_merkle: { _active_nodes: [String(block.previous)], _node_count: num - 1 },
    producer_to_last_produced: [{ key: producer, value: num }],
    producer_to_last_implied_irb: [{ key: producer, value: lib }],
    valid_block_signing_authority: ["block_signing_authority_v0", authority()],
    confirm_count: [],
    id,
    header: SignedBlockHeader.from({
      timestamp: block.timestamp,
      producer: block.producer,
      confirmed: block.confirmed,
      previous: block.previous,
      transaction_mroot: block.transaction_mroot,
      action_mroot: block.action_mroot,
      schedule_version: block.schedule_version,
      new_producers: block.new_producers,
      header_extensions: block.header_extensions,
      producer_signature: block.producer_signature,
    }),
    pending_schedule: { schedule_lib_num: 0, schedule_hash: ZERO, schedule },
    activated_protocol_features: { protocol_features: [] },
    additional_signatures: [],
    block,
    validated: true,
  };
}

function authority(): Record<string, unknown> {
  return { threshold: 1, keys: [{ key: EOSIO_KEY, weight: 1 }] };
}
