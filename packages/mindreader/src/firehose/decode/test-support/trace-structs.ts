import { Action, BlockTimestamp, Bytes, Checksum256, Int64, Name, Struct, UInt8, UInt32, UInt64, VarUInt } from "@wharfkit/antelope";
import { defineStruct } from "../../../codec/define.js";

// leap 5 / spring 1 trace structs, declared with wharfkit's serializer: the tests' reference reading of the
// APPLIED_TRANSACTION hex (and the generator's writer), apart from the decoder's own reader. No exceptions:
// the traces these tests read and write have none.

/** `account_delta`. */
export class AccountDelta extends Struct {
  declare account: Name;
  declare delta: Int64;
}
defineStruct(AccountDelta, "account_delta", [
  { name: "account", type: Name },
  { name: "delta", type: Int64 },
]);

/** One `flat_map<name, uint64>` entry of `auth_sequence`. */
export class AuthSequence extends Struct {
  declare account: Name;
  declare sequence: UInt64;
}
defineStruct(AuthSequence, "auth_sequence_entry", [
  { name: "account", type: Name },
  { name: "sequence", type: UInt64 },
]);

/** `action_receipt`. */
export class ActionReceipt extends Struct {
  declare receiver: Name;
  declare act_digest: Checksum256;
  declare global_sequence: UInt64;
  declare recv_sequence: UInt64;
  declare auth_sequence: AuthSequence[];
  declare code_sequence: VarUInt;
  declare abi_sequence: VarUInt;
}
defineStruct(ActionReceipt, "action_receipt", [
  { name: "receiver", type: Name },
  { name: "act_digest", type: Checksum256 },
  { name: "global_sequence", type: UInt64 },
  { name: "recv_sequence", type: UInt64 },
  { name: "auth_sequence", type: AuthSequence, array: true },
  { name: "code_sequence", type: VarUInt },
  { name: "abi_sequence", type: VarUInt },
]);

/** `action_trace`, without an exception. */
export class ActionTraceStruct extends Struct {
  declare action_ordinal: VarUInt;
  declare creator_action_ordinal: VarUInt;
  declare closest_unnotified_ancestor_action_ordinal: VarUInt;
  declare receipt?: ActionReceipt;
  declare receiver: Name;
  declare act: Action;
  declare context_free: boolean;
  declare elapsed: Int64;
  declare console: string;
  declare trx_id: Checksum256;
  declare block_num: UInt32;
  declare block_time: BlockTimestamp;
  declare producer_block_id?: Checksum256;
  declare account_ram_deltas: AccountDelta[];
  declare except?: UInt8;
  declare error_code?: UInt64;
  declare return_value: Bytes;
}
defineStruct(ActionTraceStruct, "action_trace", [
  { name: "action_ordinal", type: VarUInt },
  { name: "creator_action_ordinal", type: VarUInt },
  { name: "closest_unnotified_ancestor_action_ordinal", type: VarUInt },
  { name: "receipt", type: ActionReceipt, optional: true },
  { name: "receiver", type: Name },
  { name: "act", type: Action },
  { name: "context_free", type: "bool" },
  { name: "elapsed", type: Int64 },
  { name: "console", type: "string" },
  { name: "trx_id", type: Checksum256 },
  { name: "block_num", type: UInt32 },
  { name: "block_time", type: BlockTimestamp },
  { name: "producer_block_id", type: Checksum256, optional: true },
  { name: "account_ram_deltas", type: AccountDelta, array: true },
  // Present-flag only: an exception would not decode as this byte, and the tests' traces have none.
  { name: "except", type: UInt8, optional: true },
  { name: "error_code", type: UInt64, optional: true },
  { name: "return_value", type: Bytes },
]);

/** `transaction_receipt_header`. */
export class TrxReceiptHeader extends Struct {
  declare status: UInt8;
  declare cpu_usage_us: UInt32;
  declare net_usage_words: VarUInt;
}
defineStruct(TrxReceiptHeader, "transaction_receipt_header", [
  { name: "status", type: UInt8 },
  { name: "cpu_usage_us", type: UInt32 },
  { name: "net_usage_words", type: VarUInt },
]);

/** `transaction_trace`, without a failed deferred trace or an exception. */
export class TransactionTraceStruct extends Struct {
  declare id: Checksum256;
  declare block_num: UInt32;
  declare block_time: BlockTimestamp;
  declare producer_block_id?: Checksum256;
  declare receipt?: TrxReceiptHeader;
  declare elapsed: Int64;
  declare net_usage: UInt64;
  declare scheduled: boolean;
  declare action_traces: ActionTraceStruct[];
  declare account_ram_delta?: AccountDelta;
  declare failed_dtrx_trace?: UInt8;
  declare except?: UInt8;
  declare error_code?: UInt64;
}
defineStruct(TransactionTraceStruct, "transaction_trace", [
  { name: "id", type: Checksum256 },
  { name: "block_num", type: UInt32 },
  { name: "block_time", type: BlockTimestamp },
  { name: "producer_block_id", type: Checksum256, optional: true },
  { name: "receipt", type: TrxReceiptHeader, optional: true },
  { name: "elapsed", type: Int64 },
  { name: "net_usage", type: UInt64 },
  { name: "scheduled", type: "bool" },
  { name: "action_traces", type: ActionTraceStruct, array: true },
  { name: "account_ram_delta", type: AccountDelta, optional: true },
  { name: "failed_dtrx_trace", type: UInt8, optional: true },
  { name: "except", type: UInt8, optional: true },
  { name: "error_code", type: UInt64, optional: true },
]);
