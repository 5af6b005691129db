import { MindreaderErrors } from "../../errors.js";
import type { AbiCache } from "./abi-cache.js";
import { int64Field, intField, jsonField, splitFields } from "./fields.js";
import type { DbOp, RamCorrectionOp, RamOp, TableOp } from "./proto-types.js";
import { hexField } from "./whole.js";

const DB_OPERATIONS: Record<string, number> = { INS: 1, UPD: 2, REM: 3 };
const TABLE_OPERATIONS: Record<string, number> = { INS: 1, REM: 2 };

/**
 * `DB_OP INS|UPD|REM <action> <payer> <code> <scope> <table> <key> <data>` (UPD: `old:new` payer and data); rows
 * decoded to JSON when `abis` is given.
 */
export function parseDbOp(body: string, abis: AbiCache | undefined): DbOp {
  const what = "DB_OP";
  const { fields } = splitFields(body, 8, what);
  const [kind, action, payer, code, scope, tableName, primaryKey, data] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const operation = DB_OPERATIONS[kind];
  if (operation === undefined) throw MindreaderErrors.decode(what, `unknown operation ${kind}`);
  let oldPayer = "";
  let newPayer = "";
  let oldHex = "";
  let newHex = "";
  if (kind === "UPD") {
    [oldPayer, newPayer] = pair(payer, what);
    [oldHex, newHex] = pair(data, what);
  } else if (kind === "INS") {
    newPayer = payer;
    newHex = data;
  } else {
    oldPayer = payer;
    oldHex = data;
  }
  const oldData = hexField(oldHex, `${what} ${kind} old data`);
  const newData = hexField(newHex, `${what} ${kind} new data`);
  return {
    operation,
    actionIndex: intField(action, what),
    code,
    scope,
    tableName,
    primaryKey,
    oldPayer,
    newPayer,
    oldData,
    newData,
    oldDataJson: abis?.rowJson(code, tableName, oldData) ?? "",
    newDataJson: abis?.rowJson(code, tableName, newData) ?? "",
  };
}

function pair(text: string, what: string): [string, string] {
  const at = text.indexOf(":");
  if (at < 0) throw MindreaderErrors.decode(what, `"${text}" is not an old:new pair`);
  return [text.slice(0, at), text.slice(at + 1)];
}

// The legacy tags, families and operations of RAM_OP, as the protobuf enums number them.
const RAM_LEGACY = [
  "unknown",
  "create_table",
  "deferred_trx_add",
  "deferred_trx_cancel",
  "deferred_trx_pushed",
  "deferred_trx_ram_correction",
  "deferred_trx_removed",
  "deleteauth",
  "linkauth",
  "newaccount",
  "primary_index_add",
  "primary_index_remove",
  "primary_index_update",
  "primary_index_update_add_new_payer",
  "primary_index_update_remove_old_payer",
  "remove_table",
  "secondary_index_add",
  "secondary_index_remove",
  "secondary_index_update_add_new_payer",
  "secondary_index_update_remove_old_payer",
  "setabi",
  "setcode",
  "unlinkauth",
  "updateauth_create",
  "updateauth_update",
  "deprecated",
];
const RAM_FAMILIES = ["unknown", "abi", "account", "auth", "auth_link", "code", "deferred_trx", "secondary_index", "table", "table_row"];
const RAM_ACTIONS = ["unknown", "add", "cancel", "correction", "push", "remove", "update"];

/** `RAM_OP <action> <event id> <family> <operation> <legacy tag> <payer> <new usage> <delta>`. */
export function parseRamOp(body: string): RamOp {
  const what = "RAM_OP";
  const { fields } = splitFields(body, 8, what);
  const [action, uniqueKey, family, op, legacy, payer, usage, delta] = fields as [
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
    operation: enumIndex(RAM_LEGACY, legacy),
    actionIndex: intField(action, what),
    payer,
    delta: int64Field(delta, what),
    usage: int64Field(usage, what),
    namespace: enumIndex(RAM_FAMILIES, family),
    action: enumIndex(RAM_ACTIONS, op),
    uniqueKey,
  };
}

function enumIndex(names: readonly string[], name: string): number {
  // Unknown names (-1) are the enums' UNKNOWN (0).
  return Math.max(0, names.indexOf(name));
}

/** `RAM_CORRECTION_OP <action> <correction id> <event id> <payer> <delta>`. */
export function parseRamCorrectionOp(body: string): RamCorrectionOp {
  const what = "RAM_CORRECTION_OP";
  const { fields } = splitFields(body, 5, what);
  const [, correctionId, uniqueKey, payer, delta] = fields as [string, string, string, string, string];
  return { correctionId, uniqueKey, payer, delta: int64Field(delta, what) };
}

/** `TBL_OP INS|REM <action> <code> <scope> <table> <payer>`. */
export function parseTableOp(body: string): TableOp {
  const what = "TBL_OP";
  const { fields } = splitFields(body, 6, what);
  const [kind, action, code, scope, tableName, payer] = fields as [string, string, string, string, string, string];
  const operation = TABLE_OPERATIONS[kind];
  if (operation === undefined) throw MindreaderErrors.decode(what, `unknown operation ${kind}`);
  return { operation, actionIndex: intField(action, what), payer, code, scope, tableName };
}

/** The creation-op kinds of `CREATION_OP <kind> <action>`. */
export type CreationKind = "ROOT" | "NOTIFY" | "INLINE" | "CFA_INLINE";

/** `CREATION_OP ROOT|NOTIFY|INLINE|CFA_INLINE <action>`: the kind and the creating action's execution index. */
export function parseCreationOp(body: string): { kind: CreationKind; actionIndex: number } {
  const what = "CREATION_OP";
  const { fields } = splitFields(body, 2, what);
  const [kind, action] = fields as [string, string];
  if (kind !== "ROOT" && kind !== "NOTIFY" && kind !== "INLINE" && kind !== "CFA_INLINE") {
    throw MindreaderErrors.decode(what, `unknown kind ${kind}`);
  }
  return { kind, actionIndex: intField(action, what) };
}

/** The JSON payload of a line, after `count` fields. */
export function jsonAfter(body: string, count: number, what: string): { fields: string[]; json: Record<string, unknown> } {
  const { fields, rest } = splitFields(body, count, what);
  return { fields, json: jsonField(rest, what) };
}
