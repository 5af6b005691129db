import { Action, Serializer, Transaction } from "@wharfkit/antelope";
import { describe, expect, it } from "vitest";
import { AbiCache } from "./abi-cache.js";
import { parseFeatureOp, parsePermOp, parseRlimitOp } from "./json-ops.js";
import { parseCreationOp, parseDbOp, parseRamCorrectionOp, parseRamOp, parseTableOp } from "./ops.js";
import { TOKEN_ABI } from "./test-support/abis.js";
import { parseDtrxOp, parseTrxOp } from "./trx-ops.js";

const abis = new AbiCache();
abis.setPacked("eosio.token", Serializer.encode({ object: TOKEN_ABI }).array);
const json = (account: string, name: string, data: Uint8Array) => abis.actionJson(account, name, data);

const transfer = Action.from(
  {
    account: "eosio.token",
    name: "transfer",
    authorization: [{ actor: "alice", permission: "active" }],
    data: { from: "alice", to: "bob", quantity: "1.0000 EOS", memo: "later" },
  },
  TOKEN_ABI,
);
const trx = Transaction.from({
  expiration: "2024-01-01T00:01:00",
  ref_block_num: 7,
  ref_block_prefix: 99,
  max_net_usage_words: 0,
  max_cpu_usage_ms: 0,
  delay_sec: 60,
  context_free_actions: [],
  actions: [transfer],
  transaction_extensions: [],
});
const trxHex = Serializer.encode({ object: trx }).hexString;

describe("deep-mind operation lines", () => {
  it("DTRX_OP CREATE: the deferred transaction, its actions' JSON, the schedule fields as printed", () => {
    const line = `MODIFY_CREATE 2 alice 1234 alice 2024-01-01T00:00:00.000 2024-01-01T00:01:00.000 2024-01-01T00:11:00.000 ${"ab".repeat(32)} ${trxHex}`;
    const op = parseDtrxOp(line, json);
    expect(op).toMatchObject({
      operation: 6,
      actionIndex: 2,
      sender: "alice",
      senderId: "1234",
      payer: "alice",
      publishedAt: "2024-01-01T00:00:00.000",
      delayUntil: "2024-01-01T00:01:00.000",
      expirationAt: "2024-01-01T00:11:00.000",
      transactionId: "ab".repeat(32),
    });
    const action = op.transaction!.transaction.actions[0]!;
    expect(JSON.parse(action.jsonData)).toEqual({ from: "alice", to: "bob", quantity: "1.0000 EOS", memo: "later" });
    expect(op.transaction!.transaction.header).toMatchObject({ refBlockNum: 7, refBlockPrefix: 99, delaySec: 60 });
    expect(parseDtrxOp("FAILED 3", json)).toMatchObject({ operation: 3, actionIndex: 3, transactionId: "" });
  });

  it("TRX_OP CREATE onerror: a signed transaction", () => {
    const signed = Serializer.encode({ object: trx }).hexString + "0000";
    const op = parseTrxOp(`CREATE onerror ${"cd".repeat(32)} ${signed}`, json);
    expect(op).toMatchObject({ operation: 1, name: "onerror", transactionId: "cd".repeat(32) });
    expect(op.transaction!.signatures).toEqual([]);
  });

  it("RAM_CORRECTION_OP, TBL_OP REM, CREATION_OP, DB_OP REM, RAM_OP remove", () => {
    expect(parseRamCorrectionOp("0 17 deferred_trx:1 alice -240")).toEqual({
      correctionId: "17",
      uniqueKey: "deferred_trx:1",
      payer: "alice",
      delta: -240,
    });
    expect(parseTableOp("REM 1 dex alice trades alice")).toMatchObject({ operation: 2, actionIndex: 1, tableName: "trades" });
    expect(parseCreationOp("CFA_INLINE 4")).toEqual({ kind: "CFA_INLINE", actionIndex: 4 });
    const rem = parseDbOp("REM 0 alice dex alice trades k1 0a0b", undefined);
    expect(rem).toMatchObject({ operation: 3, oldPayer: "alice", newPayer: "", primaryKey: "k1" });
    expect(Buffer.from(rem.oldData).toString("hex")).toBe("0a0b");
    expect(rem.newData).toHaveLength(0);
    expect(parseRamOp("1 dex:alice:trades:k1 table_row remove primary_index_remove alice 1000 -160")).toMatchObject({
      operation: 11,
      namespace: 9,
      action: 5,
      delta: -160,
    });
  });

  it("db rows to JSON with the table's type when asked", () => {
    const row = Serializer.encode({ abi: TOKEN_ABI, type: "account", object: { balance: "3.0000 EOS" } }).hexString;
    const op = parseDbOp(`INS 0 alice eosio.token alice accounts ......2ndx2k4 ${row}`, abis);
    expect(JSON.parse(op.newDataJson)).toEqual({ balance: "3.0000 EOS" });
    expect(op.oldDataJson).toBe("");
  });

  it("PERM_OP UPD and REM: old and new permissions", () => {
    const perm = (name: string, threshold: number) => ({
      usage_id: 5,
      parent: 4,
      owner: "alice",
      name,
      last_updated: "2024-01-01T00:00:00.500",
      auth: {
        threshold,
        keys: [{ key: "EOS5P52UyPoYL7vMiSREPvqxh6WebuMAunCMK4w53J7Gu6zmk4qyN", weight: 1 }],
        accounts: [],
        waits: [{ wait_sec: 3600, weight: 1 }],
      },
    });
    const upd = parsePermOp(`UPD 1 9 ${JSON.stringify({ old: perm("active", 1), new: perm("active", 2) })}`);
    expect(upd.operation).toBe(2);
    expect(upd.oldPerm).toMatchObject({ id: 9, parentId: 4, owner: "alice", authority: { threshold: 1 } });
    expect(upd.newPerm).toMatchObject({ authority: { threshold: 2, waits: [{ waitSec: 3600, weight: 1 }] } });
    expect(upd.newPerm!.lastUpdated).toEqual({ seconds: Date.UTC(2024, 0, 1) / 1000, nanos: 500_000_000 });
    const rem = parsePermOp(`REM 0 9 ${JSON.stringify(perm("active", 1))}`);
    expect(rem.oldPerm).toBeDefined();
    expect(rem.newPerm).toBeUndefined();
  });

  it("RLIMIT_OP CONFIG and ACCOUNT_LIMITS, 64-bit values printed as strings kept exact", () => {
    const config = parseRlimitOp(
      'CONFIG UPD {"cpu_limit_parameters":{"target":20000,"max":"18446744073709551615","periods":120,"max_multiplier":1000,"contract_rate":{"numerator":99,"denominator":100},"expand_rate":{"numerator":1000,"denominator":999}},"net_limit_parameters":{"target":104857,"max":1048576,"periods":120,"max_multiplier":1000,"contract_rate":{"numerator":99,"denominator":100},"expand_rate":{"numerator":1000,"denominator":999}},"account_cpu_usage_average_window":172800,"account_net_usage_average_window":172800}',
    );
    expect(config.global).toBe(true);
    expect(config.op.config).toMatchObject({ cpuLimitParameters: { max: "18446744073709551615", periods: 120 } });
    const limits = parseRlimitOp('ACCOUNT_LIMITS UPD {"owner":"alice","net_weight":10,"cpu_weight":-1,"ram_bytes":8192}');
    expect(limits).toEqual({
      op: { operation: 2, accountLimits: { owner: "alice", pending: false, netWeight: 10, cpuWeight: -1, ramBytes: 8192 } },
      global: false,
    });
  });

  it("FEATURE_OP ACTIVATE carries no action index; PRE_ACTIVATE does", () => {
    const feature =
      '{"feature_digest":"aa","subjective_restrictions":{"enabled":true,"preactivation_required":true,"earliest_allowed_activation_time":"1970-01-01T00:00:00.000"},"description_digest":"bb","dependencies":["cc"],"protocol_feature_type":"builtin","specification":[{"name":"builtin_feature_codename","value":"X"}]}';
    expect(parseFeatureOp(`ACTIVATE aa ${feature}`)).toMatchObject({ kind: "ACTIVATE", actionIndex: 0, featureDigest: "aa" });
    expect(parseFeatureOp(`PRE_ACTIVATE 3 aa ${feature}`)).toMatchObject({
      kind: "PRE_ACTIVATE",
      actionIndex: 3,
      feature: { dependencies: ["cc"], specification: [{ name: "builtin_feature_codename", value: "X" }] },
    });
  });
});
