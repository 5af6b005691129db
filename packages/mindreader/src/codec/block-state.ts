import { Checksum256, Name, Signature, Struct, UInt8, UInt32, UInt64 } from "@wharfkit/antelope";
import { SignedBlock } from "./block.js";
import { defineStruct } from "./define.js";
import { BlockSigningAuthority, ProducerAuthoritySchedule, SignedBlockHeader } from "./header.js";

/** `incremental_merkle` (legacy): active nodes, then node count. */
export class IncrementalMerkle extends Struct {
  declare _active_nodes: Checksum256[];
  declare _node_count: UInt64;
}
defineStruct(IncrementalMerkle, "incremental_merkle", [
  { name: "_active_nodes", type: Checksum256, array: true },
  { name: "_node_count", type: UInt64 },
]);

/** One entry of a `flat_map<account_name, uint32_t>`. */
export class ProducerBlockNum extends Struct {
  declare key: Name;
  declare value: UInt32;
}
defineStruct(ProducerBlockNum, "producer_block_num", [
  { name: "key", type: Name },
  { name: "value", type: UInt32 },
]);

/** `detail::schedule_info`, the pending schedule. */
export class ScheduleInfo extends Struct {
  declare schedule_lib_num: UInt32;
  declare schedule_hash: Checksum256;
  declare schedule: ProducerAuthoritySchedule;
}
defineStruct(ScheduleInfo, "schedule_info", [
  { name: "schedule_lib_num", type: UInt32 },
  { name: "schedule_hash", type: Checksum256 },
  { name: "schedule", type: ProducerAuthoritySchedule },
]);

/** `protocol_feature_activation_set`. */
export class ProtocolFeatureActivationSet extends Struct {
  declare protocol_features: Checksum256[];
}
defineStruct(ProtocolFeatureActivationSet, "protocol_feature_activation_set", [
  { name: "protocol_features", type: Checksum256, array: true },
]);

/** `detail::block_header_state_legacy_common`: the first fields of every legacy block state. */
export class BlockHeaderStateLegacyCommon extends Struct {
  declare block_num: UInt32;
  declare dpos_proposed_irreversible_blocknum: UInt32;
  declare dpos_irreversible_blocknum: UInt32;
  declare active_schedule: ProducerAuthoritySchedule;
  declare blockroot_merkle: IncrementalMerkle;
  declare producer_to_last_produced: ProducerBlockNum[];
  declare producer_to_last_implied_irb: ProducerBlockNum[];
  declare valid_block_signing_authority: BlockSigningAuthority;
  declare confirm_count: UInt8[];
}
defineStruct(BlockHeaderStateLegacyCommon, "block_header_state_legacy_common", [
  { name: "block_num", type: UInt32 },
  { name: "dpos_proposed_irreversible_blocknum", type: UInt32 },
  { name: "dpos_irreversible_blocknum", type: UInt32 },
  { name: "active_schedule", type: ProducerAuthoritySchedule },
  { name: "blockroot_merkle", type: IncrementalMerkle },
  { name: "producer_to_last_produced", type: ProducerBlockNum, array: true },
  { name: "producer_to_last_implied_irb", type: ProducerBlockNum, array: true },
  { name: "valid_block_signing_authority", type: BlockSigningAuthority },
  { name: "confirm_count", type: UInt8, array: true },
]);

/** `block_header_state_legacy`: common fields, then id, header, pending schedule, features, extra signatures. */
export class BlockHeaderStateLegacy extends BlockHeaderStateLegacyCommon {
  declare id: Checksum256;
  declare header: SignedBlockHeader;
  declare pending_schedule: ScheduleInfo;
  /** A `shared_ptr`: packed as a presence flag then the value, like an optional. */
  declare activated_protocol_features?: ProtocolFeatureActivationSet;
  declare additional_signatures: Signature[];
}
defineStruct(BlockHeaderStateLegacy, "block_header_state_legacy", [
  { name: "id", type: Checksum256 },
  { name: "header", type: SignedBlockHeader },
  { name: "pending_schedule", type: ScheduleInfo },
  { name: "activated_protocol_features", type: ProtocolFeatureActivationSet, optional: true },
  { name: "additional_signatures", type: Signature, array: true },
]);

/** leap's `block_state_legacy` as `ACCEPTED_BLOCK` prints it (deep-mind leap 13). */
export class LeapBlockState extends BlockHeaderStateLegacy {
  /** A `shared_ptr<signed_block>`: presence flag then the block. */
  declare block?: SignedBlock;
  declare validated: boolean;
}
defineStruct(LeapBlockState, "block_state_legacy", [
  { name: "block", type: SignedBlock, optional: true },
  { name: "validated", type: "bool" },
]);

/** spring's `block_state_legacy` (its legacy `ACCEPTED_BLOCK` lines): leap's plus `action_mroot_savanna`. */
export class SpringBlockStateLegacy extends LeapBlockState {
  declare action_mroot_savanna?: Checksum256;
}
defineStruct(SpringBlockStateLegacy, "spring_block_state_legacy", [{ name: "action_mroot_savanna", type: Checksum256, optional: true }]);

/** What follows the `block_header` in a leap block state: for the full decoder reading past the header to the end. */
export class LeapBlockStateTail extends Struct {
  declare producer_signature: Signature;
  declare pending_schedule: ScheduleInfo;
  declare activated_protocol_features?: ProtocolFeatureActivationSet;
  declare additional_signatures: Signature[];
  declare block?: SignedBlock;
  declare validated: boolean;
}
defineStruct(LeapBlockStateTail, "block_state_legacy_tail", [
  { name: "producer_signature", type: Signature },
  { name: "pending_schedule", type: ScheduleInfo },
  { name: "activated_protocol_features", type: ProtocolFeatureActivationSet, optional: true },
  { name: "additional_signatures", type: Signature, array: true },
  { name: "block", type: SignedBlock, optional: true },
  { name: "validated", type: "bool" },
]);

/** The same for spring's legacy layout. */
export class SpringBlockStateLegacyTail extends LeapBlockStateTail {
  declare action_mroot_savanna?: Checksum256;
}
defineStruct(SpringBlockStateLegacyTail, "spring_block_state_legacy_tail", [
  { name: "action_mroot_savanna", type: Checksum256, optional: true },
]);
