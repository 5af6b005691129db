import { expect } from "vitest";
import type { LinesBlock } from "./lines-parse.js";

type Json = Record<string, unknown>;

const DB_OPERATIONS: Record<string, string> = { INS: "OPERATION_INSERT", UPD: "OPERATION_UPDATE", REM: "OPERATION_REMOVE" };

function b64hex(value: unknown): string {
  return Buffer.from(String(value ?? ""), "base64").toString("hex");
}

/**
 * Checks a decoded Antelope block (bufbuild's JSON, proto field names, every field) against the lines: every
 * transaction, action, db op and RAM op, in order, field by field.
 */
export function expectBlockMatchesLines(payload: Json, lines: LinesBlock): void {
  const traces = payload.unfiltered_transaction_traces as Json[];
  expect(traces).toHaveLength(lines.transactions.length);
  expect(payload.unfiltered_transaction_trace_count).toBe(lines.transactions.length);
  lines.transactions.forEach((want, i) => {
    const got = traces[i]!;
    const trace = want.trace;
    expect(got.id).toBe(String(trace.id));
    expect(got.index).toBe(String(i));
    expect(got.block_num).toBe(String(trace.block_num));
    expect(got.net_usage).toBe(String(trace.net_usage));
    expect(got.scheduled).toBe(trace.scheduled);
    const receipt = got.receipt as Json;
    expect(receipt.cpu_usage_micro_seconds).toBe(trace.receipt!.cpu_usage_us.toNumber());
    expect(receipt.net_usage_words).toBe(trace.receipt!.net_usage_words.toNumber());
    expectActions(got.action_traces as Json[], want);
    expectDbOps(got.db_ops as Json[], want.dbOps);
    expectRamOps(got.ram_ops as Json[], want.ramOps);
    expect((got.table_ops as Json[]).map((t) => [t.code, t.scope, t.table_name, t.payer])).toEqual(
      want.tableOps.map((f) => [f[2], f[3], f[4], f[5]]),
    );
    expect(got.creation_tree as Json[]).toHaveLength(want.creationOps.length);
  });
}

function expectActions(got: Json[], want: LinesBlock["transactions"][number]): void {
  const actions = want.trace.action_traces;
  expect(got).toHaveLength(actions.length);
  actions.forEach((a, j) => {
    const g = got[j]!;
    const action = g.action as Json;
    expect(g.receiver).toBe(String(a.receiver));
    expect(g.action_ordinal).toBe(a.action_ordinal.toNumber());
    expect(g.creator_action_ordinal).toBe(a.creator_action_ordinal.toNumber());
    expect(g.console).toBe(a.console);
    expect(g.transaction_id).toBe(String(a.trx_id));
    expect(action.account).toBe(String(a.act.account));
    expect(action.name).toBe(String(a.act.name));
    expect(b64hex(action.raw_data)).toBe(a.act.data.hexString);
    expect((action.authorization as Json[]).map((p) => `${p.actor}@${p.permission}`)).toEqual(
      a.act.authorization.map((p) => `${p.actor}@${p.permission}`),
    );
    const receipt = g.receipt as Json;
    expect(receipt.global_sequence).toBe(String(a.receipt!.global_sequence));
    expect(receipt.recv_sequence).toBe(String(a.receipt!.recv_sequence));
    expect(receipt.digest).toBe(String(a.receipt!.act_digest));
  });
}

function expectDbOps(got: Json[], want: string[][]): void {
  expect(got).toHaveLength(want.length);
  want.forEach((f, k) => {
    const [kind, action, payer, code, scope, table, key, data] = f as [string, string, string, string, string, string, string, string];
    const g = got[k]!;
    expect(g.operation).toBe(DB_OPERATIONS[kind]);
    expect(g.action_index).toBe(Number(action));
    expect([g.code, g.scope, g.table_name, g.primary_key]).toEqual([code, scope, table, key]);
    const [oldPayer, newPayer] = kind === "UPD" ? payer.split(":") : kind === "INS" ? ["", payer] : [payer, ""];
    const [oldData, newData] = kind === "UPD" ? data.split(":") : kind === "INS" ? ["", data] : [data, ""];
    expect([g.old_payer, g.new_payer]).toEqual([oldPayer, newPayer]);
    expect([b64hex(g.old_data), b64hex(g.new_data)]).toEqual([oldData, newData]);
  });
}

function expectRamOps(got: Json[], want: string[][]): void {
  expect(got).toHaveLength(want.length);
  want.forEach((f, k) => {
    const [action, key, family, op, legacy, payer, usage, delta] = f as [string, string, string, string, string, string, string, string];
    const g = got[k]!;
    expect(g.action_index).toBe(Number(action));
    expect(g.unique_key).toBe(key);
    expect(g.namespace).toBe(`NAMESPACE_${family.toUpperCase()}`);
    expect(g.action).toBe(`ACTION_${op.toUpperCase()}`);
    expect(g.operation).toBe(`OPERATION_${legacy.toUpperCase()}`);
    expect([g.payer, g.usage, g.delta]).toEqual([payer, usage, delta]);
  });
}
