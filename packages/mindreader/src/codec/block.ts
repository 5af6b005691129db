import { Bytes, Checksum256, Signature, UInt8, UInt32, VarUInt, Variant, Struct } from "@wharfkit/antelope";
import { defineStruct } from "./define.js";
import { Extension, SignedBlockHeader } from "./header.js";

/** `packed_transaction` as leap and spring reflect it. */
export class PackedTransaction extends Struct {
  declare signatures: Signature[];
  declare compression: UInt8;
  declare packed_context_free_data: Bytes;
  declare packed_trx: Bytes;
}
defineStruct(PackedTransaction, "packed_transaction", [
  { name: "signatures", type: Signature, array: true },
  { name: "compression", type: UInt8 },
  { name: "packed_context_free_data", type: Bytes },
  { name: "packed_trx", type: Bytes },
]);

/** `std::variant<transaction_id_type, packed_transaction>`. */
export class TransactionReceiptTrx extends Variant {
  declare value: Checksum256 | PackedTransaction;
}
Variant.type("transaction_receipt_trx", [Checksum256, PackedTransaction])(TransactionReceiptTrx);

/** `transaction_receipt`: header (status, cpu, net words) then the transaction or its id. */
export class TransactionReceipt extends Struct {
  declare status: UInt8;
  declare cpu_usage_us: UInt32;
  declare net_usage_words: VarUInt;
  declare trx: TransactionReceiptTrx;
}
defineStruct(TransactionReceipt, "transaction_receipt", [
  { name: "status", type: UInt8 },
  { name: "cpu_usage_us", type: UInt32 },
  { name: "net_usage_words", type: VarUInt },
  { name: "trx", type: TransactionReceiptTrx },
]);

/** `signed_block`: what spring's `ACCEPTED_BLOCK_V2` prints as its block hex. */
export class SignedBlock extends SignedBlockHeader {
  declare transactions: TransactionReceipt[];
  declare block_extensions: Extension[];
}
defineStruct(SignedBlock, "signed_block", [
  { name: "transactions", type: TransactionReceipt, array: true },
  { name: "block_extensions", type: Extension, array: true },
]);

/** What follows the `block_header` in a signed block: for the full decoder reading past the header to the end. */
export class SignedBlockTail extends Struct {
  declare producer_signature: Signature;
  declare transactions: TransactionReceipt[];
  declare block_extensions: Extension[];
}
defineStruct(SignedBlockTail, "signed_block_tail", [
  { name: "producer_signature", type: Signature },
  { name: "transactions", type: TransactionReceipt, array: true },
  { name: "block_extensions", type: Extension, array: true },
]);
