import { isManageosError } from "@manageos/core";
import { MindreaderErrors } from "../../errors.js";
import { intField, splitFields } from "./fields.js";
import type { DtrxOp, SignedTransaction, TrxOp } from "./proto-types.js";
import type { ActionJson } from "./trace.js";
import { readSignedTransaction, readTransaction } from "./transaction.js";
import { hexField, readWhole, readWholeHex } from "./whole.js";

/** `TRX_OP CREATE onblock|onerror <id> <hex signed_transaction>`: an implicit transaction. */
export function parseTrxOp(body: string, json: ActionJson): TrxOp {
  const what = "TRX_OP";
  const { fields } = splitFields(body, 4, what);
  const [kind, name, transactionId, hex] = fields as [string, string, string, string];
  if (kind !== "CREATE") throw MindreaderErrors.decode(what, `unknown operation ${kind}`);
  const transaction = readWholeHex(hex, `${what} ${name} ${transactionId}`, (r) => readSignedTransaction(r, json));
  return { operation: 1, name, transactionId, transaction };
}

const DTRX_OPERATIONS: Record<string, number> = {
  CREATE: 1,
  PUSH_CREATE: 2,
  FAILED: 3,
  CANCEL: 4,
  MODIFY_CANCEL: 5,
  MODIFY_CREATE: 6,
};

/**
 * `DTRX_OP [MODIFY_|PUSH_]CREATE|CANCEL <action> <sender> <sender id> <payer> <published> <delay> <expiration>
 * <trx id> <hex>` or `DTRX_OP FAILED <action>`. The hex is a packed transaction (a signed one when spring creates
 * it from a pushed transaction).
 */
export function parseDtrxOp(body: string, json: ActionJson): DtrxOp {
  const what = "DTRX_OP";
  const kind = body.slice(0, body.indexOf(" ") < 0 ? body.length : body.indexOf(" "));
  const operation = DTRX_OPERATIONS[kind];
  if (operation === undefined) throw MindreaderErrors.decode(what, `unknown operation ${kind}`);
  const empty = { sender: "", senderId: "", payer: "", publishedAt: "", delayUntil: "", expirationAt: "", transactionId: "" };
  if (kind === "FAILED") {
    const { fields } = splitFields(body, 2, what);
    return { operation, actionIndex: intField(fields[1]!, what), ...empty };
  }
  const { fields } = splitFields(body, 10, what);
  const [, action, sender, senderId, payer, publishedAt, delayUntil, expirationAt, transactionId, hex] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    operation,
    actionIndex: intField(action, what),
    sender,
    senderId,
    payer,
    publishedAt,
    delayUntil,
    expirationAt,
    transactionId,
    transaction: deferredTransaction(hexField(hex, `${what} ${transactionId}`), `${what} ${transactionId}`, json),
  };
}

// A packed transaction, or failing that (trailing bytes) a signed one.
function deferredTransaction(bytes: Buffer, what: string, json: ActionJson): SignedTransaction {
  try {
    const transaction = readWhole(bytes, what, (r) => readTransaction(r, json));
    return { transaction, signatures: [], contextFreeData: [] };
  } catch (error) {
    if (!isManageosError(error) || error.code !== MindreaderErrors.blockTrailingBytes.code) throw error;
    return readWhole(bytes, what, (r) => readSignedTransaction(r, json));
  }
}
