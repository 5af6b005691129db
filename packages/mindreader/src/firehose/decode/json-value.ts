import { Bytes, Struct } from "@wharfkit/antelope";

/**
 * What wharfkit's Serializer.objectify gives for a decoded ABI value, with bytes turned into hex by node (wharfkit's
 * JavaScript hex made a setcode action's JSON cost more than the rest of its block).
 */
export function jsonValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Bytes) return Buffer.from(value.array.buffer, value.array.byteOffset, value.array.byteLength).toString("hex");
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value instanceof Struct) {
    const out: Record<string, unknown> = {};
    const record = value as unknown as Record<string, unknown>;
    for (const field of (value.constructor as typeof Struct).structFields) {
      const v = record[field.name];
      if (v !== undefined) out[field.name] = jsonValue(v);
    }
    return out;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") return jsonValue(toJSON.call(value));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
}
