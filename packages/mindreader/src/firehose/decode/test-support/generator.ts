import { createHash } from "node:crypto";
import {
  type ABI,
  Action,
  BlockTimestamp,
  Bytes,
  KeyType,
  Name,
  Serializer,
  Signature,
  SignedTransaction,
  Transaction,
} from "@wharfkit/antelope";
import { blockIdOf } from "../../../codec/block-id.js";
import { TransactionReceipt } from "../../../codec/block.js";
import { buildLeapBlockState, buildSignedBlock } from "../../../codec/build.js";
import { formatAcceptedBlockLine, formatStartBlockLine, formatVersionLine } from "../../../codec/lines.js";
import { DEX_ABI_V1, DEX_ABI_V2, EOSIO_ABI, TOKEN_ABI } from "./abis.js";
import { type ActionTraceStruct, TransactionTraceStruct } from "./trace-structs.js";

/** Options of a generated chain. */
export interface ChainOptions {
  readonly blocks: number;
  readonly seed?: number;
  /** First block of a three-block branch that a SWITCH_FORK replaces (block numbers repeat, ids differ). */
  readonly forkAt?: number;
  /** Blocks whose dex::setabi installs the first, then the second dex ABI. */
  readonly dexAbiAt?: readonly [number, number];
  /**
   * The fork's dropped branch sets dex's second ABI in its first block; the branch that replaces it does not, so
   * its actions are read with the ABI from before the fork.
   */
  readonly droppedBranchAbi?: boolean;
  /** Transactions per block besides onblock, drawn between the two (2 to 7 by default). */
  readonly transactionsPerBlock?: readonly [number, number];
}

/** A generated deep-mind log and what its actions' JSON must be. */
export interface GeneratedChain {
  readonly text: string;
  /** Per transaction id, each action trace's expected json_data in ordinal order ("" when it cannot decode). */
  readonly expectedJson: ReadonlyMap<string, readonly string[]>;
  /** The ids of the fork's dropped branch and of the branch that replaced it. */
  readonly fork: { readonly dropped: readonly string[]; readonly kept: readonly string[] };
}

const START_MS = Date.UTC(2024, 0, 1);
const PERMISSION_TIME = "2024-01-01T00:00:00.000";

interface PlannedAction {
  readonly receiver: string;
  readonly account: string;
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 for an input action, else the ordinal of the action that created it. */
  readonly creator: number;
  readonly kind: "ROOT" | "NOTIFY" | "INLINE";
}

interface PlannedTransaction {
  readonly actions: PlannedAction[];
  /** Operation lines printed before the trace, `DMLOG ` included. */
  readonly ops: string[];
  /** Runs once the transaction is applied (an ABI change). */
  readonly after?: () => void;
}

// A small deterministic generator (mulberry32), so a failing run can be replayed.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a leap 13 deep-mind log of `blocks` blocks: an onblock per block and a mix of token transfers (with their
 * notifications and balance rows), new accounts (permissions, resource limits, RAM), dex trades decoded with
 * whatever ABI the chain has at the time (none, then two successive setabi), undecodable action data, and one fork.
 */
export function generateChain(opts: ChainOptions): GeneratedChain {
  return new ChainWriter(opts).write();
}

class ChainWriter {
  private readonly rand: () => number;
  private readonly lines: string[] = [];
  private readonly expectedJson = new Map<string, string[]>();
  private abis = new Map<string, ABI>([
    ["eosio", EOSIO_ABI],
    ["eosio.token", TOKEN_ABI],
  ]);
  private readonly accounts = ["alice", "bob", "carol", "dave"];
  private globalSequence = 100;
  private permissionId = 10;
  private created = 0;
  private readonly fork = { dropped: [] as string[], kept: [] as string[] };

  constructor(private readonly opts: ChainOptions) {
    this.rand = random(opts.seed ?? 1);
  }

  write(): GeneratedChain {
    this.lines.push('DMLOG RLIMIT_OP CONFIG INS {"account_cpu_usage_average_window":172800}');
    this.lines.push(formatVersionLine("leap"));
    this.lines.push("DMLOG ABIDUMP START 1 100");
    for (const [account, abi] of this.abis) this.lines.push(`DMLOG ABIDUMP ABI ${account} ${packAbi(abi).toString("base64")}`);
    this.lines.push("DMLOG ABIDUMP END");
    let previous = `00000001${"ab".repeat(28)}`;
    for (let num = 2; num < this.opts.blocks + 2; num++) {
      if (num === this.opts.forkAt) {
        previous = this.writeFork(num, previous);
        num += 2;
        continue;
      }
      const block = this.block(num, previous, "eosio");
      this.lines.push(...block.lines);
      previous = block.id;
    }
    return { text: `${this.lines.join("\n")}\n`, expectedJson: this.expectedJson, fork: this.fork };
  }

  // Three blocks on producer bpa, a block cut by the switch, then the same three numbers on bpb.
  private writeFork(num: number, previous: string): string {
    let head = previous;
    // The chain's ABIs before the fork: what the replacing branch starts from.
    const before = new Map(this.abis);
    for (let i = 0; i < 3; i++) {
      const extra = i === 0 && this.opts.droppedBranchAbi === true ? [this.setabi("dex", DEX_ABI_V2)] : [];
      const block = this.block(num + i, head, "bpa", extra);
      this.lines.push(...block.lines);
      this.fork.dropped.push(block.id);
      head = block.id;
    }
    this.abis = before;
    this.lines.push(formatStartBlockLine(num + 3), "DMLOG CREATION_OP ROOT 0");
    const kept: string[][] = [];
    let newHead = previous;
    for (let i = 0; i < 3; i++) {
      const block = this.block(num + i, newHead, "bpb");
      kept.push(block.lines);
      this.fork.kept.push(block.id);
      newHead = block.id;
    }
    this.lines.push(`DMLOG SWITCH_FORK ${head} ${newHead}`);
    for (const block of kept) this.lines.push(...block);
    return newHead;
  }

  private block(num: number, previous: string, producer: string, extra: PlannedTransaction[] = []): { lines: string[]; id: string } {
    const timeMs = START_MS + num * 500 + (producer === "bpb" ? 250 : 0);
    const lines = [formatStartBlockLine(num)];
    const receipts: unknown[] = [];
    const onblock = this.onblock(num);
    lines.push(...this.transaction(num, timeMs, onblock, true).lines);
    for (const planned of [...extra, ...this.plan(num)]) {
      const { lines: trxLines, receipt } = this.transaction(num, timeMs, planned, false);
      lines.push(...trxLines);
      receipts.push(receipt);
      planned.after?.();
    }
    lines.push(rlimitState(num));
    const signed = buildSignedBlock({ previous, timeMs, producer });
    signed.transactions = receipts.map((r) => TransactionReceipt.from(r as never));
    lines.push(formatAcceptedBlockLine(buildLeapBlockState(signed, Math.max(1, num - 3))));
    return { lines, id: blockIdOf(signed) };
  }

  private plan(num: number): PlannedTransaction[] {
    const [v1At, v2At] = this.opts.dexAbiAt ?? [-1, -1];
    const out: PlannedTransaction[] = [];
    if (num === v1At) out.push(this.setabi("dex", DEX_ABI_V1));
    if (num === v2At) out.push(this.setabi("dex", DEX_ABI_V2));
    const [min, max] = this.opts.transactionsPerBlock ?? [2, 7];
    const count = min + Math.floor(this.rand() * (max - min + 1));
    for (let i = 0; i < count; i++) {
      const roll = this.rand();
      if (roll < 0.55) out.push(this.transfer());
      else if (roll < 0.65) out.push(this.newAccount());
      else if (roll < 0.95) out.push(this.trade(num >= v2At && v2At > 0 ? 2 : 1));
      else out.push(this.garbage());
    }
    return out;
  }

  private pick(): string {
    return this.accounts[Math.floor(this.rand() * this.accounts.length)]!;
  }

  private json(account: string, name: string, data: Uint8Array): string {
    const abi = this.abis.get(account);
    const type = abi?.actions.find((a) => String(a.name) === name)?.type;
    if (abi === undefined || type === undefined) return "";
    try {
      return JSON.stringify(Serializer.objectify(Serializer.decode({ data, abi, type })));
    } catch {
      return "";
    }
  }

  private input(account: string, name: string, data: Uint8Array): PlannedAction {
    return { receiver: account, account, name, data, creator: 0, kind: "ROOT" };
  }

  private onblock(num: number): PlannedTransaction {
    const data = Buffer.alloc(16, num & 0xff);
    return { actions: [this.input("eosio", "onblock", data)], ops: ["DMLOG CREATION_OP ROOT 0"] };
  }

  private transfer(): PlannedTransaction {
    const from = this.pick();
    const to = this.pick();
    const amount = 1 + Math.floor(this.rand() * 1_000_000);
    const quantity = `${(amount / 10000).toFixed(4)} EOS`;
    const data = encode(TOKEN_ABI, "transfer", { from, to, quantity, memo: `m${amount}` });
    const root = this.input("eosio.token", "transfer", data);
    const notify = (receiver: string): PlannedAction => ({ ...root, receiver, creator: 1, kind: "NOTIFY" });
    const balance = (n: number) => encode(TOKEN_ABI, "account", { balance: `${(n / 10000).toFixed(4)} EOS` }).toString("hex");
    const ops = [
      "DMLOG CREATION_OP ROOT 0",
      "DMLOG CREATION_OP NOTIFY 0",
      "DMLOG CREATION_OP NOTIFY 0",
      `DMLOG DB_OP UPD 0 ${from}:${from} eosio.token ${from} accounts ......2ndx2k4 ${balance(amount * 3)}:${balance(amount * 2)}`,
      `DMLOG DB_OP UPD 0 ${to}:${to} eosio.token ${to} accounts ......2ndx2k4 ${balance(amount)}:${balance(amount * 2)}`,
      accountUsage(from, amount),
    ];
    return { actions: [root, notify(from), notify(to)], ops };
  }

  private newAccount(): PlannedTransaction {
    const name = `user${base32(this.created++)}`;
    const auth = { threshold: 1, keys: [], accounts: [{ permission: { actor: "eosio", permission: "active" }, weight: 1 }], waits: [] };
    const data = encode(EOSIO_ABI, "newaccount", { creator: "eosio", name, owner: auth, active: auth });
    const owner = this.permissionId++;
    const active = this.permissionId++;
    const perm = (id: number, parent: number, permName: string) =>
      `DMLOG PERM_OP INS 0 ${id} ${JSON.stringify({ usage_id: id, parent, owner: name, name: permName, last_updated: PERMISSION_TIME, auth: { threshold: 1, keys: [], accounts: [{ permission: { actor: "eosio", permission: "active" }, weight: 1 }], waits: [] } })}`;
    const ops = [
      "DMLOG CREATION_OP ROOT 0",
      perm(owner, 0, "owner"),
      perm(active, owner, "active"),
      `DMLOG RLIMIT_OP ACCOUNT_LIMITS INS {"owner":"${name}","net_weight":-1,"cpu_weight":-1,"ram_bytes":-1}`,
      `DMLOG RLIMIT_OP ACCOUNT_USAGE INS {"owner":"${name}","net_usage":{"last_ordinal":0,"value_ex":0,"consumed":0},"cpu_usage":{"last_ordinal":0,"value_ex":0,"consumed":0},"ram_usage":0}`,
      `DMLOG RAM_OP 0 ${name} account add newaccount ${name} 2724 2724`,
    ];
    return { actions: [this.input("eosio", "newaccount", data)], ops, after: () => this.accounts.push(name) };
  }

  private setabi(account: string, abi: ABI): PlannedTransaction {
    const packed = packAbi(abi);
    const data = encode(EOSIO_ABI, "setabi", { account, abi: packed.toString("hex") });
    const ops = [
      "DMLOG CREATION_OP ROOT 0",
      `DMLOG RAM_OP 0 ${account} abi update setabi ${account} ${packed.length + 500} ${packed.length}`,
    ];
    return { actions: [this.input("eosio", "setabi", data)], ops, after: () => this.abis.set(account, abi) };
  }

  private trade(version: 1 | 2): PlannedTransaction {
    const trader = this.pick();
    const amount = this.rand() < 0.1 ? 2 ** 40 + Math.floor(this.rand() * 1000) : Math.floor(this.rand() * 1e6);
    const fields = version === 1 ? { trader, amount } : { trader, amount, memo: `v2 ${amount}` };
    const data = encode(version === 1 ? DEX_ABI_V1 : DEX_ABI_V2, "trade", fields);
    const key = Name.from(this.pick()).toString();
    const ops = [
      "DMLOG CREATION_OP ROOT 0",
      `DMLOG TBL_OP INS 0 dex ${trader} trades ${trader}`,
      `DMLOG RAM_OP 0 dex:${trader}:trades table add create_table ${trader} 1000 112`,
      `DMLOG DB_OP INS 0 ${trader} dex ${trader} trades ${key} ${Buffer.from(data).toString("hex")}`,
      `DMLOG RAM_OP 0 dex:${trader}:trades:${key} table_row add primary_index_add ${trader} 1160 160`,
      `DMLOG DB_OP REM 0 ${trader} dex ${trader} trades ${key} ${Buffer.from(data).toString("hex")}`,
      `DMLOG RAM_OP 0 dex:${trader}:trades:${key} table_row remove primary_index_remove ${trader} 1000 -160`,
      `DMLOG TBL_OP REM 0 dex ${trader} trades ${trader}`,
    ];
    return { actions: [this.input("dex", "trade", data)], ops };
  }

  // Bytes no ABI decodes: json_data stays empty, raw_data is kept.
  private garbage(): PlannedTransaction {
    return { actions: [this.input("dex", "trade", Buffer.from([1, 2, 3]))], ops: ["DMLOG CREATION_OP ROOT 0"] };
  }

  private transaction(num: number, timeMs: number, planned: PlannedTransaction, implicit: boolean): { lines: string[]; receipt: unknown } {
    const inputs = planned.actions.filter((a) => a.creator === 0);
    const trx = Transaction.from({
      expiration: Math.floor(timeMs / 1000) + 60,
      ref_block_num: (num - 1) & 0xffff,
      ref_block_prefix: num * 7,
      max_net_usage_words: 0,
      max_cpu_usage_ms: 0,
      delay_sec: 0,
      context_free_actions: [],
      actions: inputs.map((a) =>
        Action.from({ account: a.account, name: a.name, authorization: [{ actor: a.account, permission: "active" }], data: a.data }),
      ),
      transaction_extensions: [],
    });
    const packed = Serializer.encode({ object: trx }).array;
    const id = createHash("sha256").update(packed).digest("hex");
    const blockTime = BlockTimestamp.fromMilliseconds(timeMs);
    const traces = planned.actions.map((a, i) => this.actionTrace(a, i + 1, id, num, blockTime));
    const trace = TransactionTraceStruct.from({
      id,
      block_num: num,
      block_time: blockTime,
      receipt: { status: 0, cpu_usage_us: 100 + traces.length, net_usage_words: packed.length >> 3 },
      elapsed: 50,
      net_usage: packed.length,
      scheduled: false,
      action_traces: traces,
    });
    // With the ABIs as the transactions before this one left them.
    this.expectedJson.set(
      id,
      planned.actions.map((a) => this.json(a.account, a.name, a.data)),
    );
    const lines = [...planned.ops];
    if (implicit) {
      const signed = SignedTransaction.from({ ...trx, signatures: [], context_free_data: [] });
      lines.unshift(`DMLOG TRX_OP CREATE onblock ${id} ${Serializer.encode({ object: signed }).hexString}`);
    }
    lines.push(`DMLOG APPLIED_TRANSACTION ${num} ${Serializer.encode({ object: trace }).hexString}`);
    // A well-formed K1 signature (recovery byte, then 64 bytes): blocks here are never verified.
    const signature = new Signature(KeyType.K1, new Bytes(Buffer.concat([Buffer.from([31]), createHash("sha512").update(id).digest()])));
    const receipt = {
      status: 0,
      cpu_usage_us: 100 + traces.length,
      net_usage_words: packed.length >> 3,
      trx: [
        "packed_transaction",
        { signatures: [signature], compression: 0, packed_context_free_data: "", packed_trx: Buffer.from(packed).toString("hex") },
      ],
    };
    return { lines, receipt };
  }

  private actionTrace(a: PlannedAction, ordinal: number, id: string, num: number, blockTime: BlockTimestamp): ActionTraceStruct {
    const sequence = this.globalSequence++;
    return {
      action_ordinal: ordinal,
      creator_action_ordinal: a.creator,
      closest_unnotified_ancestor_action_ordinal: a.creator,
      receipt: {
        receiver: a.receiver,
        act_digest: createHash("sha256").update(a.data).digest("hex"),
        global_sequence: sequence,
        recv_sequence: sequence,
        auth_sequence: [{ account: a.account, sequence }],
        code_sequence: 1,
        abi_sequence: 1,
      },
      receiver: a.receiver,
      act: Action.from({ account: a.account, name: a.name, authorization: [{ actor: a.account, permission: "active" }], data: a.data }),
      context_free: false,
      elapsed: 10,
      console: a.kind === "ROOT" ? "" : `notified ${a.receiver}`,
      trx_id: id,
      block_num: num,
      block_time: blockTime,
      account_ram_deltas: [],
      return_value: "",
    } as unknown as ActionTraceStruct;
  }
}

function encode(abi: ABI, type: string, object: unknown): Buffer {
  return Buffer.from(Serializer.encode({ abi, type, object }).array);
}

function packAbi(abi: ABI): Buffer {
  return Buffer.from(Serializer.encode({ object: abi }).array);
}

// Account names from a counter: a-z and 1-5 only.
function base32(n: number): string {
  const chars = "abcdefghijklmnopqrstuvwxyz12345";
  let out = "";
  let x = n;
  do {
    out += chars[x % chars.length];
    x = Math.floor(x / chars.length);
  } while (x > 0);
  return out;
}

function rlimitState(num: number): string {
  return `DMLOG RLIMIT_OP STATE UPD {"average_block_net_usage":{"last_ordinal":${num},"value_ex":0,"consumed":0},"average_block_cpu_usage":{"last_ordinal":${num},"value_ex":833334,"consumed":100},"pending_net_usage":0,"pending_cpu_usage":0,"total_net_weight":0,"total_cpu_weight":0,"total_ram_bytes":0,"virtual_net_limit":1048576,"virtual_cpu_limit":"200000000000"}`;
}

function accountUsage(owner: string, n: number): string {
  return `DMLOG RLIMIT_OP ACCOUNT_USAGE UPD {"owner":"${owner}","net_usage":{"last_ordinal":1262304002,"value_ex":${n},"consumed":${n % 977}},"cpu_usage":{"last_ordinal":1262304002,"value_ex":"${n * 1000003}","consumed":101},"ram_usage":2724}`;
}
