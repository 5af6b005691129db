import { readFcException } from "./fc-variant.js";
import type { PackedReader } from "./packed-reader.js";
import type { Action, ActionReceipt, ActionTrace, Exception, TransactionTrace } from "./proto-types.js";
import { timestampFromSlot } from "./timestamps.js";

/** Turns an action's raw data into JSON with the contract's ABI ("" when it cannot). */
export type ActionJson = (account: string, name: string, data: Uint8Array) => string;

/** Reads a packed `action`: account, name, authorization, data. */
export function readAction(reader: PackedReader, json: ActionJson): Action {
  const account = reader.name();
  const name = reader.name();
  const authorization = reader.array(() => ({ actor: reader.name(), permission: reader.name() }));
  const rawData = reader.bytesField();
  return { account, name, authorization, jsonData: json(account, name, rawData), rawData };
}

function readActionReceipt(reader: PackedReader): ActionReceipt {
  const receiver = reader.name();
  const digest = reader.checksum256();
  const globalSequence = reader.u64();
  const recvSequence = reader.u64();
  const authSequence = reader.array(() => ({ accountName: reader.name(), sequence: reader.u64() }));
  const codeSequence = reader.varuint32();
  const abiSequence = reader.varuint32();
  return { receiver, digest, globalSequence, authSequence, recvSequence, codeSequence, abiSequence };
}

function readException(reader: PackedReader): Exception | undefined {
  return reader.optional(() => readFcException(reader));
}

/** Reads a packed `action_trace` (leap 5 and spring 1 reflect the same fields). */
export function readActionTrace(reader: PackedReader, json: ActionJson): ActionTrace {
  const actionOrdinal = reader.varuint32();
  const creatorActionOrdinal = reader.varuint32();
  const closestUnnotifiedAncestorActionOrdinal = reader.varuint32();
  const receipt = reader.optional(() => readActionReceipt(reader));
  const receiver = reader.name();
  const action = readAction(reader, json);
  const contextFree = reader.bool();
  const elapsed = reader.i64();
  const console = reader.string();
  const transactionId = reader.checksum256();
  const blockNum = reader.u32();
  const blockTime = timestampFromSlot(reader.u32());
  const producerBlockId = reader.optional(() => reader.checksum256()) ?? "";
  const accountRamDeltas = reader.array(() => ({ account: reader.name(), delta: reader.i64() }));
  const exception = readException(reader);
  const errorCode = reader.optional(() => reader.u64()) ?? 0;
  const rawReturnValue = reader.bytesField();
  // Defaults left unset, so that nothing is written for them (one shape for every trace, for the encoder's sake).
  return {
    receiver,
    receipt,
    action,
    contextFree: contextFree || undefined,
    elapsed: elapsed === 0 ? undefined : elapsed,
    console: console === "" ? undefined : console,
    transactionId,
    blockNum,
    producerBlockId: producerBlockId === "" ? undefined : producerBlockId,
    blockTime,
    accountRamDeltas,
    rawReturnValue: rawReturnValue.length === 0 ? undefined : rawReturnValue,
    jsonReturnValue: undefined,
    exception,
    errorCode: errorCode === 0 ? undefined : errorCode,
    actionOrdinal,
    creatorActionOrdinal: creatorActionOrdinal === 0 ? undefined : creatorActionOrdinal,
    closestUnnotifiedAncestorActionOrdinal:
      closestUnnotifiedAncestorActionOrdinal === 0 ? undefined : closestUnnotifiedAncestorActionOrdinal,
    executionIndex: 0,
  };
}

/**
 * Reads a packed `transaction_trace` (APPLIED_TRANSACTION's hex). The deep-mind operations are attached by the
 * caller; `index` is the trace's position in the block.
 */
export function readTransactionTrace(reader: PackedReader, json: ActionJson, index: number): TransactionTrace {
  const id = reader.checksum256();
  const blockNum = reader.u32();
  const blockTime = timestampFromSlot(reader.u32());
  const producerBlockId = reader.optional(() => reader.checksum256()) ?? "";
  const receipt = reader.optional(() => ({
    // fc's transaction_receipt_header::status_enum counts from executed = 0; the protobuf enum from NONE = 0.
    status: reader.u8() + 1,
    cpuUsageMicroSeconds: reader.u32(),
    netUsageWords: reader.varuint32(),
  }));
  const elapsed = reader.i64();
  const netUsage = reader.u64();
  const scheduled = reader.bool();
  const actionTraces = reader.array(() => readActionTrace(reader, json));
  // account_ram_delta: not in the Firehose model (the per-action deltas are).
  reader.optional(() => [reader.name(), reader.i64()]);
  const failedDtrxTrace = reader.optional(() => readTransactionTrace(reader, json, 0));
  const exception = readException(reader);
  const errorCode = reader.optional(() => reader.u64()) ?? 0;
  setExecutionIndexes(actionTraces);
  return {
    id,
    blockNum,
    index,
    blockTime,
    producerBlockId,
    ...(receipt === undefined ? {} : { receipt }),
    elapsed,
    netUsage,
    scheduled,
    actionTraces,
    ...(failedDtrxTrace === undefined ? {} : { failedDtrxTrace }),
    ...(exception === undefined ? {} : { exception }),
    errorCode,
    dbOps: [],
    dtrxOps: [],
    featureOps: [],
    permOps: [],
    ramOps: [],
    ramCorrectionOps: [],
    rlimitOps: [],
    tableOps: [],
    creationTree: [],
  };
}

// Action traces come in creation (ordinal) order; they ran in global sequence order. Actions without a receipt
// (they failed) keep their place after those that ran.
function setExecutionIndexes(traces: ActionTrace[]): void {
  const ran = traces.filter((t) => t.receipt !== undefined);
  ran.sort((a, b) => compareSequence(a.receipt!.globalSequence, b.receipt!.globalSequence));
  ran.forEach((t, i) => {
    t.executionIndex = i;
  });
  let next = ran.length;
  for (const t of traces) if (t.receipt === undefined) t.executionIndex = next++;
}

function compareSequence(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
