import { isManageosError } from "@manageos/core";
import { Name, Serializer } from "@wharfkit/antelope";
import protobuf from "protobufjs";
import { postable } from "../../files/postable.js";
import { linesOfBytes } from "../../reader/block-bytes.js";
import { MindreaderErrors } from "../../errors.js";
import { AbiCache } from "./abi-cache.js";
import { type AcceptedRead, readLegacyAccepted, readV2Accepted } from "./block-state.js";
import { creationTree } from "./creation-tree.js";
import { parseFeatureOp, parsePermOp, parseRlimitOp } from "./json-ops.js";
import { parseCreationOp, parseDbOp, parseRamCorrectionOp, parseRamOp, parseTableOp } from "./ops.js";
import { PendingOps } from "./pending-ops.js";
import type { ActionTrace, RlimitOp, TransactionTrace, TrxOp } from "./proto-types.js";
import { ANTELOPE_BLOCK_TYPE_URL, firehoseSchema } from "./schema.js";
import { timestampFromMs } from "./timestamps.js";
import { readTransactionTrace } from "./trace.js";
import { parseDtrxOp, parseTrxOp } from "./trx-ops.js";
import { readWhole, readWholeHex } from "./whole.js";

/** Options of a FirehoseDecoder. */
export interface FirehoseDecoderOptions {
  /** The node's deep-mind flavour; by default taken from the DEEP_MIND_VERSION line or from the block itself. */
  readonly chain?: "leap" | "spring";
  /**
   * Also decode db rows to JSON (old_data_json, new_data_json) with the contract's table types. Off by default, as
   * in firehose-antelope's reader: it costs a fifth of a block's decoding and indexers decode rows themselves.
   */
  readonly rowJson?: boolean;
}

/** One block decoded to Firehose: its header facts and the encoded sf.bstream.v1.Block. */
export interface DecodedBlock {
  readonly number: number;
  readonly id: string;
  readonly parentId: string;
  readonly parentNum: number;
  readonly libNum: number;
  readonly timestampMs: number;
  /** Encoded sf.bstream.v1.Block whose payload is an Any of sf.antelope.type.v1.Block: `frame` after its length. */
  readonly bstream: Uint8Array;
  /** The block's dbin frame (the length of `bstream` as a big-endian uint32, then `bstream`), in a buffer of its own. */
  readonly frame: Uint8Array;
}

interface BlockParts {
  accepted?: AcceptedRead;
  readonly traces: TransactionTrace[];
  readonly implicit: TrxOp[];
  readonly rlimit: RlimitOp[];
  readonly pending: PendingOps;
}

const NO_JSON = (): string => "";
const START_BLOCK = Buffer.from("DMLOG START_BLOCK ", "latin1");
const EMPTY = Buffer.alloc(0);
// ABI changes kept for undoing, at most: those of blocks past the last irreversible one decoded (a decoder that only
// observes never learns it), bounded all the same.
const UNDO_MAX = 1000;
// The name `setabi` as fc packs it (a little-endian uint64), in hex: in every trace holding a setabi action.
const SETABI_HEX = Serializer.encode({ object: Name.from("setabi") }).hexString;
const SETABI_HEX_UPPER = SETABI_HEX.toUpperCase();
// Larger action data (setcode's wasm) is rare and would make a costly memo key.
const MEMO_MAX_BYTES = 1024;
const JSON_ACCEPTED = /^DMLOG ACCEPTED_BLOCK \d+ \{/;

// EOSIO 2.0's deep-mind prints JSON where leap and spring print packed structs: nothing to make Firehose bytes of.
function refuseJsonDialect(last: string | undefined): void {
  if (last === undefined || !JSON_ACCEPTED.test(last)) return;
  throw MindreaderErrors.decode(
    last.slice(6, last.indexOf("{") - 1),
    "EOSIO 2.0's JSON deep-mind has no packed block state to make a Firehose block of",
  );
}
const EMPTY_PARTS = (): BlockParts => ({ traces: [], implicit: [], rlimit: [], pending: new PendingOps() });

/**
 * Turns one block's deep-mind lines into a Firehose block. Stateful: it keeps the contracts' ABIs (ABIDUMP, then
 * every setabi) across blocks, so blocks must be decoded in chain order by one decoder.
 */
export class FirehoseDecoder {
  private readonly abis = new AbiCache();
  private chain: "leap" | "spring" | undefined;
  private readonly rowJson: boolean;
  // JSON of the block's action data by account, action and bytes: a notified receiver's trace carries its
  // action's very data, so a transfer's three traces cost one decoding. Emptied per block and per ABI change.
  private readonly jsonMemo = new Map<string, string>();
  // The ABI changes of recent blocks, oldest first, each with the ABI it replaced: a block whose number is not above
  // the last one's (a fork, or nodeos starting over from an earlier block) undoes those of the blocks it replaces.
  private readonly abiUndo: Array<{ readonly num: number; readonly account: string; readonly previous: string | undefined }> = [];
  private blockNum: number | undefined;

  constructor(opts: FirehoseDecoderOptions = {}) {
    this.chain = opts.chain;
    this.rowJson = opts.rowJson === true;
  }

  /** Decodes one block's lines (UTF-8, each ending in a newline). Throws a coded error when it cannot whole. */
  decode(dmlog: Uint8Array): DecodedBlock {
    const parts = EMPTY_PARTS();
    this.jsonMemo.clear();
    const lines = linesOfBytes(dmlog);
    refuseJsonDialect(lines.at(-1));
    for (const line of lines) this.line(line, parts);
    const { accepted } = parts;
    if (accepted === undefined) throw MindreaderErrors.blockIncomplete("the block", "no ACCEPTED_BLOCK line");
    // No fork goes below the last irreversible block: the changes of blocks up to it are never undone.
    while (this.abiUndo.length > 0 && this.abiUndo[0]!.num <= accepted.lib) this.abiUndo.shift();
    // Resource-limit changes after the last transaction (the block's own accounting) belong to the block.
    const left = parts.pending.take();
    parts.rlimit.push(...left.rlimitOps);
    return this.encode(accepted, parts);
  }

  /**
   * Takes the ABIs, and nothing else, from lines the decoder is not asked to decode: those nodeos prints outside any
   * block (ABIDUMP at startup), or blocks another decoder handles. Cheap unless the lines change an ABI.
   */
  observe(dmlog: Uint8Array): void {
    const text = Buffer.from(dmlog.buffer, dmlog.byteOffset, dmlog.byteLength);
    if (text.subarray(0, START_BLOCK.length).equals(START_BLOCK)) {
      const end = text.indexOf(0x0a);
      this.startBlock(text.toString("latin1", START_BLOCK.length, end < 0 ? undefined : end));
    }
    if (!text.includes("ABIDUMP") && !text.includes("DEEP_MIND_VERSION") && !text.includes(" setabi ")) return;
    for (const line of linesOfBytes(dmlog)) {
      const start = line.startsWith("DMLOG ") ? 6 : 0;
      if (line.startsWith("ABIDUMP ", start)) this.abiDump(line.slice(start + 8));
      else if (line.startsWith("DEEP_MIND_VERSION ", start)) this.handlers.DEEP_MIND_VERSION!(line.slice(start + 18), EMPTY_PARTS());
      else if (line.startsWith("APPLIED_TRANSACTION ", start)) this.observeTrace(line.slice(start + 20));
    }
  }

  // Only the setabi actions of a trace, applied in execution order; a trace without the packed name `setabi` in it
  // has none, and is not decoded.
  private observeTrace(body: string): void {
    const space = body.indexOf(" ");
    if (space < 0) return;
    if (!body.includes(SETABI_HEX, space) && !body.includes(SETABI_HEX_UPPER, space)) return;
    const trace = readWholeHex(body.slice(space + 1), "APPLIED_TRANSACTION", (r) => readTransactionTrace(r, NO_JSON, 0));
    if (trace.receipt?.status !== 1) return;
    const ordered = [...trace.actionTraces].sort((a, b) => a.executionIndex - b.executionIndex);
    for (const t of ordered) if (t.receipt !== undefined) this.maybeSetAbi(t);
  }

  private line(line: string, parts: BlockParts): void {
    const start = line.startsWith("DMLOG ") ? 6 : 0;
    const space = line.indexOf(" ", start);
    const kind = space < 0 ? line.slice(start) : line.slice(start, space);
    // SWITCH_FORK and operations the Firehose model has no place for have no handler.
    this.handlers[kind]?.(space < 0 ? "" : line.slice(space + 1), parts);
  }

  // What each deep-mind line adds to the block: transaction operations wait in `pending` for their trace.
  private readonly handlers: Readonly<Record<string, (body: string, parts: BlockParts) => void>> = {
    APPLIED_TRANSACTION: (body, parts) => this.applied(body, parts),
    DB_OP: (body, { pending }) => pending.dbOps.push(parseDbOp(body, this.rowJson ? this.abis : undefined)),
    RAM_OP: (body, { pending }) => pending.ramOps.push(parseRamOp(body)),
    RAM_CORRECTION_OP: (body, { pending }) => pending.ramCorrectionOps.push(parseRamCorrectionOp(body)),
    TBL_OP: (body, { pending }) => pending.tableOps.push(parseTableOp(body)),
    PERM_OP: (body, { pending }) => pending.permOps.push(parsePermOp(body)),
    FEATURE_OP: (body, { pending }) => pending.featureOps.push(parseFeatureOp(body)),
    CREATION_OP: (body, { pending }) => pending.creation.push(parseCreationOp(body)),
    DTRX_OP: (body, { pending }) => pending.dtrxOps.push(parseDtrxOp(body, this.json)),
    RLIMIT_OP: (body, parts) => {
      const { op, global } = parseRlimitOp(body);
      (global ? parts.rlimit : parts.pending.rlimitOps).push(op);
    },
    TRX_OP: (body, parts) => parts.implicit.push(parseTrxOp(body, this.json)),
    ABIDUMP: (body) => this.abiDump(body),
    START_BLOCK: (body) => this.startBlock(body),
    DEEP_MIND_VERSION: (body) => {
      this.chain ??= body.startsWith("spring") ? "spring" : "leap";
    },
    ACCEPTED_BLOCK: (body, parts) => {
      parts.accepted = this.legacyAccepted(body);
    },
    ACCEPTED_BLOCK_V2: (body, parts) => {
      this.chain ??= "spring";
      parts.accepted = readV2Accepted(body);
    },
  };

  private readonly json = (account: string, name: string, data: Uint8Array): string => {
    if (!this.abis.has(account)) return "";
    if (data.length > MEMO_MAX_BYTES) return this.abis.actionJson(account, name, data);
    const key = `${account} ${name} ${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1")}`;
    let json = this.jsonMemo.get(key);
    if (json === undefined) {
      json = this.abis.actionJson(account, name, data);
      this.jsonMemo.set(key, json);
    }
    return json;
  };

  private applied(body: string, parts: BlockParts): void {
    const space = body.indexOf(" ");
    const what = `APPLIED_TRANSACTION ${space < 0 ? body : body.slice(0, space)}`;
    if (space < 0) throw MindreaderErrors.blockIncomplete(what, "no trace after the block number");
    const trace = readWholeHex(body.slice(space + 1), what, (r) => readTransactionTrace(r, NO_JSON, parts.traces.length));
    const ops = parts.pending.take();
    Object.assign(trace, {
      dbOps: ops.dbOps,
      dtrxOps: ops.dtrxOps,
      featureOps: ops.featureOps,
      permOps: ops.permOps,
      ramOps: ops.ramOps,
      ramCorrectionOps: ops.ramCorrectionOps,
      rlimitOps: ops.rlimitOps,
      tableOps: ops.tableOps,
      creationTree: creationTree(ops.creation, trace.actionTraces),
    });
    this.decodeActions(trace);
    parts.traces.push(trace);
  }

  // Action data as JSON, in execution order, each setabi taking effect for the actions after it.
  private decodeActions(trace: TransactionTrace): void {
    const executed = trace.receipt?.status === 1;
    const ordered = [...trace.actionTraces].sort((a, b) => a.executionIndex - b.executionIndex);
    for (const t of ordered) {
      const { action } = t;
      action.jsonData = this.json(action.account, action.name, action.rawData);
      if (executed && t.receipt !== undefined) this.maybeSetAbi(t);
    }
    if (trace.failedDtrxTrace !== undefined) this.decodeActionsOnly(trace.failedDtrxTrace);
  }

  private decodeActionsOnly(trace: TransactionTrace): void {
    for (const { action } of trace.actionTraces) action.jsonData = this.json(action.account, action.name, action.rawData);
  }

  private maybeSetAbi(t: ActionTrace): void {
    const { action } = t;
    if (action.account !== "eosio" || action.name !== "setabi" || t.receiver !== "eosio") return;
    const data = action.rawData;
    try {
      readWhole(Buffer.from(data.buffer, data.byteOffset, data.byteLength), "setabi", (r) => {
        const account = r.name();
        // The bytes replaced, as text: kept on the heap rather than as one more buffer of external memory each, which
        // made the collector run more (a tenth of the decoding with the fixture's two ABIs set in turn).
        const previous = this.abis.packedOf(account);
        if (!this.abis.setPacked(account, r.bytesField())) return;
        this.jsonMemo.clear();
        if (this.blockNum === undefined) return;
        this.abiUndo.push({ num: this.blockNum, account, previous: previous?.toString("latin1") });
        if (this.abiUndo.length > UNDO_MAX) this.abiUndo.shift();
      });
    } catch (error) {
      // nodeos accepted it, so this cannot happen with a real chain; the actions that follow keep raw data.
      if (!isManageosError(error)) throw error;
    }
  }

  // A block starts: when its number is not above the last block's, the ABI changes of the blocks from that number
  // on are undone, newest first (their branch was dropped, or nodeos replays them).
  private startBlock(body: string): void {
    const num = Number.parseInt(body, 10);
    if (!Number.isSafeInteger(num)) return;
    if (this.blockNum !== undefined && num <= this.blockNum) {
      let undone = false;
      for (let last = this.abiUndo.at(-1); last !== undefined && last.num >= num; last = this.abiUndo.at(-1)) {
        this.abiUndo.pop();
        this.abis.setPacked(last.account, last.previous === undefined ? EMPTY : Buffer.from(last.previous, "latin1"));
        undone = true;
      }
      if (undone) this.jsonMemo.clear();
    }
    this.blockNum = num;
  }

  private abiDump(body: string): void {
    if (body.startsWith("START")) {
      this.abis.clear();
      this.abiUndo.length = 0;
      return;
    }
    if (!body.startsWith("ABI ")) return;
    const [, account = "", base64 = ""] = body.split(" ");
    this.abis.setPacked(account, Buffer.from(base64, "base64"));
  }

  private legacyAccepted(body: string): AcceptedRead {
    if (this.chain !== undefined) return readLegacyAccepted(body, this.chain);
    // No version line seen: leap's layout, or spring's (one more field) when leap's leaves bytes over.
    try {
      return readLegacyAccepted(body, "leap");
    } catch (error) {
      if (!isManageosError(error) || error.code !== MindreaderErrors.blockTrailingBytes.code) throw error;
      return readLegacyAccepted(body, "spring");
    }
  }

  private encode(accepted: AcceptedRead, parts: BlockParts): DecodedBlock {
    const { traces } = parts;
    let inputActions = 0;
    let totalActions = 0;
    for (const trace of traces) {
      if (trace.receipt?.status !== 1) continue;
      for (const t of trace.actionTraces) {
        if (t.receipt === undefined) continue;
        totalActions++;
        if ((t.creatorActionOrdinal ?? 0) === 0) inputActions++;
      }
    }
    const transactions = accepted.fields.unfilteredTransactions as unknown[];
    const antelope = {
      id: accepted.id,
      number: accepted.num,
      version: 1,
      ...accepted.fields,
      rlimitOps: parts.rlimit,
      unfilteredTransactionCount: transactions.length,
      unfilteredImplicitTransactionOps: parts.implicit,
      unfilteredTransactionTraces: traces,
      unfilteredTransactionTraceCount: traces.length,
      unfilteredExecutedInputActionCount: inputActions,
      unfilteredExecutedTotalActionCount: totalActions,
    };
    const schema = firehoseSchema();
    const parentNum = accepted.num - 1;
    // The whole dbin frame in one buffer: its length (set once known), sf.bstream.v1.Block's fields in field order,
    // the payload (field 11) last, as a google.protobuf.Any of the sf.antelope.type.v1.Block encoded in place.
    const writer = protobuf.Writer.create();
    writer.fixed32(0);
    schema.bstreamBlock.encode(
      {
        number: accepted.num,
        id: accepted.id,
        parentId: accepted.previous,
        timestamp: timestampFromMs(accepted.timestampMs),
        libNum: accepted.lib,
        parentNum,
      },
      writer,
    );
    writer.uint32(PAYLOAD_TAG).fork().uint32(TYPE_URL_TAG).string(ANTELOPE_BLOCK_TYPE_URL).uint32(VALUE_TAG).fork();
    schema.antelopeBlock.encode(antelope, writer);
    // A small encoding is a view of Node's buffer pool: the frame is handed to other threads, so it gets its own.
    const frame = postable(writer.ldelim().ldelim().finish());
    new DataView(frame.buffer).setUint32(0, frame.length - 4);
    return {
      number: accepted.num,
      id: accepted.id,
      parentId: accepted.previous,
      parentNum,
      libNum: accepted.lib,
      timestampMs: accepted.timestampMs,
      bstream: frame.subarray(4),
      frame,
    };
  }
}

// Tags (field number << 3 | length-delimited): sf.bstream.v1.Block.payload = 11, Any.type_url = 1, Any.value = 2.
const PAYLOAD_TAG = (11 << 3) | 2;
const TYPE_URL_TAG = (1 << 3) | 2;
const VALUE_TAG = (2 << 3) | 2;
