import {
  type Action,
  CompressionType,
  PackedTransaction,
  PrivateKey,
  Serializer,
  SignedTransaction,
  TimePointSec,
  Transaction,
} from "@wharfkit/antelope";

/** A packed, signed transaction as nodeos' push_transaction takes it (send_transaction2 wraps it in `transaction`). */
export interface PackedTransactionJson {
  readonly signatures: string[];
  readonly compression: number;
  readonly packed_context_free_data: string;
  readonly packed_trx: string;
}

/** Where a transaction is anchored: the chain, and the head block it refers to (TaPoS) and expires after. */
export interface TransactionAnchor {
  readonly chainId: string;
  readonly headBlockId: string;
  readonly headTimeMs: number;
}

/** One action in a transaction that refers to the head block and expires a minute after it, signed with `privateKey`. */
export function signedTransaction(action: Action, anchor: TransactionAnchor, privateKey: string): PackedTransactionJson {
  const ref = Buffer.from(anchor.headBlockId, "hex");
  const trx = Transaction.from({
    expiration: TimePointSec.fromMilliseconds(Math.floor(anchor.headTimeMs / 1000) * 1000 + 60_000),
    ref_block_num: ref.readUInt32BE(0) & 0xffff,
    ref_block_prefix: ref.readUInt32LE(8),
    max_net_usage_words: 0,
    max_cpu_usage_ms: 0,
    delay_sec: 0,
    context_free_actions: [],
    actions: [action],
    transaction_extensions: [],
  });
  const signature = PrivateKey.from(privateKey).signDigest(trx.signingDigest(anchor.chainId));
  return Serializer.objectify(
    PackedTransaction.fromSigned(SignedTransaction.from({ ...trx, signatures: [signature] }), CompressionType.none),
  ) as PackedTransactionJson;
}
