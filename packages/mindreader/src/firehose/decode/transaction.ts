import type { PackedReader } from "./packed-reader.js";
import type { SignedTransaction } from "./proto-types.js";
import { timestampFromSeconds } from "./timestamps.js";
import { type ActionJson, readAction } from "./trace.js";

/** Reads a packed `transaction` (header, context-free actions, actions, extensions). */
export function readTransaction(reader: PackedReader, json: ActionJson): SignedTransaction["transaction"] {
  const header = {
    expiration: timestampFromSeconds(reader.u32()),
    refBlockNum: reader.u16(),
    refBlockPrefix: reader.u32(),
    maxNetUsageWords: reader.varuint32(),
    maxCpuUsageMs: reader.u8(),
    delaySec: reader.varuint32(),
  };
  const contextFreeActions = reader.array(() => readAction(reader, json));
  const actions = reader.array(() => readAction(reader, json));
  const extensions = reader.array(() => ({ type: reader.u16(), data: reader.bytesField() }));
  return { header, contextFreeActions, actions, extensions };
}

/** Reads a packed `signed_transaction`: the transaction, its signatures and context-free data. */
export function readSignedTransaction(reader: PackedReader, json: ActionJson): SignedTransaction {
  const transaction = readTransaction(reader, json);
  const signatures = reader.array(() => reader.signature());
  const contextFreeData = reader.array(() => reader.bytesField());
  return { transaction, signatures, contextFreeData };
}
