import { BlockTimestamp, Bytes, Checksum256, Name, PublicKey, Signature, Struct, UInt16, UInt32, Variant } from "@wharfkit/antelope";
import { defineStruct } from "./define.js";

/** `extensions_type` entry: `pair<uint16, vector<char>>`. */
export class Extension extends Struct {
  declare type: UInt16;
  declare data: Bytes;
}
defineStruct(Extension, "extension", [
  { name: "type", type: UInt16 },
  { name: "data", type: Bytes },
]);

/** `legacy::producer_key`. */
export class ProducerKey extends Struct {
  declare producer_name: Name;
  declare block_signing_key: PublicKey;
}
defineStruct(ProducerKey, "producer_key", [
  { name: "producer_name", type: Name },
  { name: "block_signing_key", type: PublicKey },
]);

/** `legacy::producer_schedule_type`, the header's `new_producers`. */
export class LegacyProducerSchedule extends Struct {
  declare version: UInt32;
  declare producers: ProducerKey[];
}
defineStruct(LegacyProducerSchedule, "producer_schedule", [
  { name: "version", type: UInt32 },
  { name: "producers", type: ProducerKey, array: true },
]);

/** `key_weight`. */
export class KeyWeight extends Struct {
  declare key: PublicKey;
  declare weight: UInt16;
}
defineStruct(KeyWeight, "key_weight", [
  { name: "key", type: PublicKey },
  { name: "weight", type: UInt16 },
]);

/** `block_signing_authority_v0`. */
export class BlockSigningAuthorityV0 extends Struct {
  declare threshold: UInt32;
  declare keys: KeyWeight[];
}
defineStruct(BlockSigningAuthorityV0, "block_signing_authority_v0", [
  { name: "threshold", type: UInt32 },
  { name: "keys", type: KeyWeight, array: true },
]);

/** `block_signing_authority`: `std::variant<block_signing_authority_v0>`. */
export class BlockSigningAuthority extends Variant {
  declare value: BlockSigningAuthorityV0;
}
Variant.type("block_signing_authority", [BlockSigningAuthorityV0])(BlockSigningAuthority);

/** `producer_authority`. */
export class ProducerAuthority extends Struct {
  declare producer_name: Name;
  declare authority: BlockSigningAuthority;
}
defineStruct(ProducerAuthority, "producer_authority", [
  { name: "producer_name", type: Name },
  { name: "authority", type: BlockSigningAuthority },
]);

/** `producer_authority_schedule`. */
export class ProducerAuthoritySchedule extends Struct {
  declare version: UInt32;
  declare producers: ProducerAuthority[];
}
defineStruct(ProducerAuthoritySchedule, "producer_authority_schedule", [
  { name: "version", type: UInt32 },
  { name: "producers", type: ProducerAuthority, array: true },
]);

/** `block_header`: the bytes whose sha256 gives the block id. */
export class BlockHeader extends Struct {
  declare timestamp: BlockTimestamp;
  declare producer: Name;
  declare confirmed: UInt16;
  declare previous: Checksum256;
  declare transaction_mroot: Checksum256;
  declare action_mroot: Checksum256;
  declare schedule_version: UInt32;
  declare new_producers?: LegacyProducerSchedule;
  declare header_extensions: Extension[];
}
defineStruct(BlockHeader, "block_header", [
  { name: "timestamp", type: BlockTimestamp },
  { name: "producer", type: Name },
  { name: "confirmed", type: UInt16 },
  { name: "previous", type: Checksum256 },
  { name: "transaction_mroot", type: Checksum256 },
  { name: "action_mroot", type: Checksum256 },
  { name: "schedule_version", type: UInt32 },
  { name: "new_producers", type: LegacyProducerSchedule, optional: true },
  { name: "header_extensions", type: Extension, array: true },
]);

/** `signed_block_header`: the header plus the producer's signature. */
export class SignedBlockHeader extends BlockHeader {
  declare producer_signature: Signature;
}
defineStruct(SignedBlockHeader, "signed_block_header", [{ name: "producer_signature", type: Signature }]);
