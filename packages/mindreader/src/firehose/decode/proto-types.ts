/**
 * The shapes handed to the protobuf encoder: plain objects whose keys are the camelCase field names of
 * proto/sf/antelope/type/v1/type.proto. 64-bit integers are numbers when exact, decimal strings otherwise.
 */
export type Int64 = number | string;

/** A proto3 scalar left unset: the encoder writes nothing for it, as for its default value. */
export type Unset = undefined;

/** google.protobuf.Timestamp. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface PermissionLevel {
  actor: string;
  permission: string;
}

export interface Action {
  account: string;
  name: string;
  authorization: PermissionLevel[];
  jsonData: string;
  rawData: Uint8Array;
}

export interface ActionReceipt {
  receiver: string;
  digest: string;
  globalSequence: Int64;
  authSequence: Array<{ accountName: string; sequence: Int64 }>;
  recvSequence: Int64;
  codeSequence: number;
  abiSequence: number;
}

export interface LogContext {
  level: string;
  file: string;
  line: number;
  method: string;
  hostname: string;
  threadName: string;
  timestamp?: Timestamp;
  context?: LogContext;
}

export interface Exception {
  code: number;
  name: string;
  message: string;
  stack: Array<{ context?: LogContext; format: string; data: Uint8Array }>;
}

export interface ActionTrace {
  receiver: string;
  receipt?: ActionReceipt;
  action: Action;
  contextFree: boolean | Unset;
  elapsed: Int64 | Unset;
  console: string | Unset;
  transactionId: string;
  blockNum: number;
  producerBlockId: string | Unset;
  blockTime: Timestamp;
  accountRamDeltas: Array<{ account: string; delta: Int64 }>;
  rawReturnValue: Uint8Array | Unset;
  jsonReturnValue: string | Unset;
  exception?: Exception;
  errorCode: Int64 | Unset;
  actionOrdinal: number;
  creatorActionOrdinal: number | Unset;
  closestUnnotifiedAncestorActionOrdinal: number | Unset;
  executionIndex: number;
}

export interface DbOp {
  operation: number;
  actionIndex: number;
  code: string;
  scope: string;
  tableName: string;
  primaryKey: string;
  oldPayer: string;
  newPayer: string;
  oldData: Uint8Array;
  newData: Uint8Array;
  oldDataJson: string;
  newDataJson: string;
}

export interface RamOp {
  operation: number;
  actionIndex: number;
  payer: string;
  delta: Int64;
  usage: Int64;
  namespace: number;
  action: number;
  uniqueKey: string;
}

export interface RamCorrectionOp {
  correctionId: string;
  uniqueKey: string;
  payer: string;
  delta: Int64;
}

export interface TableOp {
  operation: number;
  actionIndex: number;
  payer: string;
  code: string;
  scope: string;
  tableName: string;
}

export interface Authority {
  threshold: number;
  keys: Array<{ publicKey: string; weight: number }>;
  accounts: Array<{ permission: PermissionLevel; weight: number }>;
  waits: Array<{ waitSec: number; weight: number }>;
}

export interface PermissionObject {
  id: Int64;
  parentId: Int64;
  owner: string;
  name: string;
  lastUpdated?: Timestamp;
  authority?: Authority;
}

export interface PermOp {
  operation: number;
  actionIndex: number;
  oldPerm?: PermissionObject;
  newPerm?: PermissionObject;
}

/** An RlimitOp: the operation and one of state / config / accountLimits / accountUsage. */
export interface RlimitOp {
  operation: number;
  state?: Record<string, unknown>;
  config?: Record<string, unknown>;
  accountLimits?: Record<string, unknown>;
  accountUsage?: Record<string, unknown>;
}

export interface FeatureOp {
  kind: string;
  actionIndex: number;
  featureDigest: string;
  feature?: Record<string, unknown>;
}

export interface SignedTransaction {
  transaction: {
    header: {
      expiration: Timestamp;
      refBlockNum: number;
      refBlockPrefix: number;
      maxNetUsageWords: number;
      maxCpuUsageMs: number;
      delaySec: number;
    };
    contextFreeActions: Action[];
    actions: Action[];
    extensions: Array<{ type: number; data: Uint8Array }>;
  };
  signatures: string[];
  contextFreeData: Uint8Array[];
}

export interface DtrxOp {
  operation: number;
  actionIndex: number;
  sender: string;
  senderId: string;
  payer: string;
  publishedAt: string;
  delayUntil: string;
  expirationAt: string;
  transactionId: string;
  transaction?: SignedTransaction;
}

export interface TrxOp {
  operation: number;
  name: string;
  transactionId: string;
  transaction?: SignedTransaction;
}

export interface CreationFlatNode {
  creatorActionIndex: number;
  executionActionIndex: number;
}

export interface TransactionTrace {
  id: string;
  blockNum: number;
  index: number;
  blockTime: Timestamp;
  producerBlockId: string;
  receipt?: { status: number; cpuUsageMicroSeconds: number; netUsageWords: number };
  elapsed: Int64;
  netUsage: Int64;
  scheduled: boolean;
  actionTraces: ActionTrace[];
  failedDtrxTrace?: TransactionTrace;
  exception?: Exception;
  errorCode: Int64;
  dbOps: DbOp[];
  dtrxOps: DtrxOp[];
  featureOps: FeatureOp[];
  permOps: PermOp[];
  ramOps: RamOp[];
  ramCorrectionOps: RamCorrectionOp[];
  rlimitOps: RlimitOp[];
  tableOps: TableOp[];
  creationTree: CreationFlatNode[];
}

/** sf.antelope.type.v1.Block, as far as this decoder fills it. */
export type AntelopeBlock = Record<string, unknown> & {
  id: string;
  number: number;
  unfilteredTransactionTraces: TransactionTrace[];
};
