import { MindreaderErrors } from "../../errors.js";
import { intField } from "./fields.js";
import { jsonAfter } from "./ops.js";
import type { Authority, FeatureOp, Int64, PermOp, PermissionObject, RlimitOp } from "./proto-types.js";
import { timestampFromChainTime } from "./timestamps.js";

type Json = Record<string, unknown>;

// fc prints 64-bit integers as JSON numbers or, when large, as strings.
function int(value: unknown): Int64 {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return 0;
}

function small(value: unknown): number {
  return Number(int(value));
}

function obj(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

const PERM_OPERATIONS: Record<string, number> = { INS: 1, UPD: 2, REM: 3 };

/** `PERM_OP INS|UPD|REM <action> <permission id> <json>` (UPD's JSON holds `old` and `new`). */
export function parsePermOp(body: string): PermOp {
  const what = "PERM_OP";
  const { fields, json } = jsonAfter(body, 3, what);
  const [kind, action, id] = fields as [string, string, string];
  const operation = PERM_OPERATIONS[kind];
  if (operation === undefined) throw MindreaderErrors.decode(what, `unknown operation ${kind}`);
  const actionIndex = intField(action, what);
  if (kind === "UPD") {
    return { operation, actionIndex, oldPerm: permission(obj(json.old), id), newPerm: permission(obj(json.new), id) };
  }
  const perm = permission(json, id);
  return kind === "INS" ? { operation, actionIndex, newPerm: perm } : { operation, actionIndex, oldPerm: perm };
}

function permission(json: Json, id: string): PermissionObject {
  const lastUpdated = timestampFromChainTime(text(json.last_updated));
  return {
    id: int(json.id ?? id),
    parentId: int(json.parent),
    owner: text(json.owner),
    name: text(json.name),
    ...(lastUpdated === undefined ? {} : { lastUpdated }),
    authority: authority(obj(json.auth)),
  };
}

function authority(json: Json): Authority {
  return {
    threshold: small(json.threshold),
    keys: list(json.keys).map((k) => ({ publicKey: text(k.key), weight: small(k.weight) })),
    accounts: list(json.accounts).map((a) => {
      const level = obj(a.permission);
      return { permission: { actor: text(level.actor), permission: text(level.permission) }, weight: small(a.weight) };
    }),
    waits: list(json.waits).map((w) => ({ waitSec: small(w.wait_sec), weight: small(w.weight) })),
  };
}

const RLIMIT_OPERATIONS: Record<string, number> = { INS: 1, UPD: 2 };

/** `RLIMIT_OP CONFIG|STATE|ACCOUNT_LIMITS|ACCOUNT_USAGE INS|UPD <json>`. */
export function parseRlimitOp(body: string): { op: RlimitOp; global: boolean } {
  const what = "RLIMIT_OP";
  const { fields, json } = jsonAfter(body, 2, what);
  const [kind, action] = fields as [string, string];
  const operation = RLIMIT_OPERATIONS[action];
  if (operation === undefined) throw MindreaderErrors.decode(what, `unknown operation ${action}`);
  switch (kind) {
    case "STATE":
      return { op: { operation, state: rlimitState(json) }, global: true };
    case "CONFIG":
      return { op: { operation, config: rlimitConfig(json) }, global: true };
    case "ACCOUNT_LIMITS":
      return { op: { operation, accountLimits: accountLimits(json) }, global: false };
    case "ACCOUNT_USAGE":
      return { op: { operation, accountUsage: accountUsage(json) }, global: false };
    default:
      throw MindreaderErrors.decode(what, `unknown kind ${kind}`);
  }
}

function usage(value: unknown): Json {
  const json = obj(value);
  return { lastOrdinal: small(json.last_ordinal), valueEx: int(json.value_ex), consumed: int(json.consumed) };
}

function rlimitState(json: Json): Json {
  return {
    averageBlockNetUsage: usage(json.average_block_net_usage),
    averageBlockCpuUsage: usage(json.average_block_cpu_usage),
    pendingNetUsage: int(json.pending_net_usage),
    pendingCpuUsage: int(json.pending_cpu_usage),
    totalNetWeight: int(json.total_net_weight),
    totalCpuWeight: int(json.total_cpu_weight),
    totalRamBytes: int(json.total_ram_bytes),
    virtualNetLimit: int(json.virtual_net_limit),
    virtualCpuLimit: int(json.virtual_cpu_limit),
  };
}

function elastic(value: unknown): Json {
  const json = obj(value);
  const ratio = (r: unknown) => ({ numerator: int(obj(r).numerator), denominator: int(obj(r).denominator) });
  return {
    target: int(json.target),
    max: int(json.max),
    periods: small(json.periods),
    maxMultiplier: small(json.max_multiplier),
    contractRate: ratio(json.contract_rate),
    expandRate: ratio(json.expand_rate),
  };
}

function rlimitConfig(json: Json): Json {
  return {
    cpuLimitParameters: elastic(json.cpu_limit_parameters),
    netLimitParameters: elastic(json.net_limit_parameters),
    accountCpuUsageAverageWindow: small(json.account_cpu_usage_average_window),
    accountNetUsageAverageWindow: small(json.account_net_usage_average_window),
  };
}

function accountLimits(json: Json): Json {
  return {
    owner: text(json.owner),
    pending: json.pending === true,
    netWeight: int(json.net_weight),
    cpuWeight: int(json.cpu_weight),
    ramBytes: int(json.ram_bytes),
  };
}

function accountUsage(json: Json): Json {
  return {
    owner: text(json.owner),
    netUsage: usage(json.net_usage),
    cpuUsage: usage(json.cpu_usage),
    ramUsage: int(json.ram_usage),
  };
}

/** `FEATURE_OP PRE_ACTIVATE <action> <digest> <json>` or `FEATURE_OP ACTIVATE <digest> <json>`. */
export function parseFeatureOp(body: string): FeatureOp {
  const what = "FEATURE_OP";
  const pre = body.startsWith("PRE_ACTIVATE ");
  const { fields, json } = jsonAfter(body, pre ? 3 : 2, what);
  const kind = fields[0]!;
  if (kind !== "PRE_ACTIVATE" && kind !== "ACTIVATE") throw MindreaderErrors.decode(what, `unknown kind ${kind}`);
  const actionIndex = pre ? intField(fields[1]!, what) : 0;
  const featureDigest = fields[pre ? 2 : 1]!;
  return { kind, actionIndex, featureDigest, feature: feature(json) };
}

function feature(json: Json): Json {
  const restrictions = obj(json.subjective_restrictions);
  return {
    featureDigest: text(json.feature_digest),
    subjectiveRestrictions: {
      enabled: restrictions.enabled === true,
      preactivationRequired: restrictions.preactivation_required === true,
      earliestAllowedActivationTime: text(restrictions.earliest_allowed_activation_time),
    },
    descriptionDigest: text(json.description_digest),
    dependencies: Array.isArray(json.dependencies) ? json.dependencies.map(text) : [],
    protocolFeatureType: text(json.protocol_feature_type),
    specification: list(json.specification).map((s) => ({ name: text(s.name), value: text(s.value) })),
  };
}
