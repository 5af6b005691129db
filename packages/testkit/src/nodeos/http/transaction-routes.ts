import { PackedTransaction, PublicKey, Serializer, Signature, type Transaction } from "@wharfkit/antelope";
import { FINKEY_ABI } from "../../savanna/finkey-abi.js";
import {
  applyFinKeyAction,
  ContractAssert,
  type FinKeyAction,
  readFinalizerTables,
  tableRows,
  updateFinalizerTables,
} from "../../savanna/finalizer-table.js";
import { formatTime } from "../fc-log.js";
import type { NodeContext } from "./context.js";
import { badRequest, nodeosError, type Reply } from "./nodeos-error.js";
import type { Route } from "./server.js";

const FINKEY_ACTIONS = new Set(["regfinkey", "actfinkey", "delfinkey"]);

/** Spring's chain_api_plugin additions the simulator serves: push_transaction, send_transaction(2), get_table_rows. */
export function transactionRoutes(ctx: NodeContext): [string, Route][] {
  return [
    ["/v1/chain/push_transaction", (body) => pushTransaction(ctx, body)],
    ["/v1/chain/send_transaction", (body) => pushTransaction(ctx, body)],
    ["/v1/chain/send_transaction2", (body) => pushTransaction(ctx, isObject(body) ? body.transaction : undefined)],
    ["/v1/chain/get_table_rows", (body) => getTableRows(ctx, body)],
  ];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

// nodeos answers a failed transaction with 500 and the chain exception.
function chainError(code: number, name: string, what: string, detail: string, method: string): Reply {
  return nodeosError(500, "Internal Service Error", { code, name, what, detail, method });
}

/** A transaction as received: its content, its id and its signatures. */
interface Received {
  readonly trx: Transaction;
  readonly id: string;
  readonly signatures: readonly Signature[];
}

function decode(body: unknown): Received {
  if (!isObject(body) || typeof body.packed_trx !== "string") throw new Error("missing packed_trx");
  const c = body.compression;
  const compression = c === undefined || c === "none" || c === 0 ? 0 : c === "zlib" || c === 1 ? 1 : -1;
  if (compression === -1) throw new Error(`unknown compression ${String(c)}`);
  const packed = PackedTransaction.from({
    signatures: Array.isArray(body.signatures) ? body.signatures.map(String) : [],
    compression,
    packed_context_free_data: typeof body.packed_context_free_data === "string" ? body.packed_context_free_data : "",
    packed_trx: body.packed_trx,
  });
  const trx = packed.getTransaction();
  return { trx, id: trx.id.toString(), signatures: packed.signatures };
}

async function pushTransaction(ctx: NodeContext, body: unknown): Promise<Reply> {
  let received: Received;
  try {
    received = decode(body);
  } catch (error) {
    return badRequest(`Invalid packed transaction: ${(error as Error).message}`);
  }
  const { trx, id } = received;
  const head = ctx.chain.head;
  if (trx.expiration.toMilliseconds() <= head.timeMs)
    return chainError(
      3040005,
      "expired_tx_exception",
      "Expired Transaction",
      `expired transaction ${id}, expiration ${trx.expiration.toString()}, block time ${formatTime(head.timeMs)}`,
      "check_transaction",
    );
  // The keys that signed, recovered from the signatures over the chain's signing digest.
  const digest = trx.signingDigest(ctx.chain.options.chainId);
  const signedBy = new Set(received.signatures.map((s) => Signature.from(s).recoverDigest(digest).toString()));
  const actions: FinKeyAction[] = [];
  for (const action of trx.actions) {
    const name = action.name.toString();
    if (action.account.toString() !== "eosio" || !FINKEY_ACTIONS.has(name))
      return assertion(
        `nodeos-sim runs only eosio::regfinkey, eosio::actfinkey and eosio::delfinkey, not ${action.account.toString()}::${name}`,
      );
    const data = Serializer.objectify(action.decodeData(FINKEY_ABI)) as Record<string, string>;
    const finalizer = String(data.finalizer_name);
    // require_auth(finalizer_name): the producer's active (or owner) permission, or one linked to the action.
    const auth = action.authorization.find((a) => a.actor.toString() === finalizer);
    if (auth === undefined)
      return chainError(
        3090004,
        "missing_auth_exception",
        "Missing required authority",
        `missing authority of ${finalizer}`,
        "require_authorization",
      );
    const permission = auth.permission.toString();
    const level = JSON.stringify({ actor: finalizer, permission });
    const listed = permission === "active" || permission === "owner" ? ctx.accounts[finalizer] : ctx.accounts[`${finalizer}@${permission}`];
    if (listed === undefined)
      return chainError(
        3090005,
        "irrelevant_auth_exception",
        "Irrelevant authority included",
        `action declares irrelevant authority '${level}'; minimum authority is ${JSON.stringify({ actor: finalizer, permission: "active" })}`,
        "check_authorization",
      );
    const keys = listed.map((k) => PublicKey.from(k).toString());
    if (!keys.some((k) => signedBy.has(k)))
      return chainError(
        3090003,
        "unsatisfied_authorization",
        "Provided keys, permissions, and delays do not satisfy declared authorizations",
        `transaction declares authority '${level}', but does not have signatures for it.`,
        "check_authorization",
      );
    actions.push(
      name === "regfinkey"
        ? {
            name,
            finalizer_name: finalizer,
            finalizer_key: String(data.finalizer_key),
            proof_of_possession: String(data.proof_of_possession),
          }
        : { name: name as "actfinkey" | "delfinkey", finalizer_name: finalizer, finalizer_key: String(data.finalizer_key) },
    );
  }
  try {
    await updateFinalizerTables(ctx.tablesDir, (t) =>
      actions.reduce((acc, a) => applyFinKeyAction(acc, a, ctx.chain.options.producers), t),
    );
  } catch (error) {
    if (error instanceof ContractAssert) return assertion(error.message);
    throw error;
  }
  return ok(processed(ctx, trx, id));
}

function assertion(message: string): Reply {
  return chainError(
    3050003,
    "eosio_assert_message_exception",
    "eosio_assert_message assertion failure",
    `assertion failure with message: ${message}`,
    "eosio_assert",
  );
}

function processed(ctx: NodeContext, trx: Transaction, id: string): Record<string, unknown> {
  const blockNum = ctx.chain.head.num + 1;
  const blockTime = formatTime(ctx.chain.timeOf(blockNum));
  return {
    transaction_id: id,
    processed: {
      id,
      block_num: blockNum,
      block_time: blockTime,
      producer_block_id: null,
      receipt: { status: "executed", cpu_usage_us: 100, net_usage_words: 16 },
      elapsed: 100,
      net_usage: 128,
      scheduled: false,
      action_traces: trx.actions.map((a, i) => ({
        action_ordinal: i + 1,
        creator_action_ordinal: 0,
        receiver: "eosio",
        act: {
          account: a.account.toString(),
          name: a.name.toString(),
          authorization: Serializer.objectify(a.authorization),
          data: Serializer.objectify(a.decodeData(FINKEY_ABI)),
          hex_data: a.data.hexString,
        },
        context_free: false,
        elapsed: 50,
        console: "",
        trx_id: id,
        block_num: blockNum,
        block_time: blockTime,
        except: null,
      })),
      account_ram_delta: null,
      except: null,
      error_code: null,
    },
  };
}

async function getTableRows(ctx: NodeContext, body: unknown): Promise<Reply> {
  if (!isObject(body)) return badRequest("missing table query");
  const table = String(body.table);
  if (String(body.code) !== "eosio" || (table !== "finkeys" && table !== "finalizers"))
    return chainError(
      3060003,
      "contract_table_query_exception",
      "Contract Table Query Exception",
      `Table ${table} is not specified in the ABI`,
      "get_table_rows",
    );
  const rows = String(body.scope ?? "eosio") === "eosio" ? tableRows(await readFinalizerTables(ctx.tablesDir), table) : [];
  const limit = Number(body.limit ?? 10) > 0 ? Number(body.limit ?? 10) : 10;
  return ok({ rows: rows.slice(0, limit), more: rows.length > limit, next_key: "" });
}
