import type { PackedReader } from "./packed-reader.js";
import type { Exception, LogContext } from "./proto-types.js";
import { timestampFromChainTime } from "./timestamps.js";

/** A value of fc's `variant`, read from its packed form. */
export type Variant = null | number | string | boolean | Uint8Array | Variant[] | { [key: string]: Variant };

// fc::variant::type_id, the tag packed before every variant.
const NULL = 0;
const INT64 = 1;
const UINT64 = 2;
const DOUBLE = 3;
const BOOL = 4;
const STRING = 5;
const ARRAY = 6;
const OBJECT = 7;
const BLOB = 8;
const MAX_DEPTH = 64;

/** Reads one packed `fc::variant` (a type tag, then the value). */
export function readVariant(reader: PackedReader, depth = 0): Variant {
  if (depth > MAX_DEPTH) throw new Error("fc variant nested too deep");
  const tag = reader.u8();
  switch (tag) {
    case NULL:
      return null;
    case INT64:
      return reader.i64();
    case UINT64:
      return reader.u64();
    case DOUBLE:
      return reader.f64();
    case BOOL:
      return reader.bool();
    case STRING:
      return reader.string();
    case ARRAY:
      return reader.array(() => readVariant(reader, depth + 1));
    case OBJECT: {
      const out: { [key: string]: Variant } = {};
      const n = reader.count();
      for (let i = 0; i < n; i++) {
        const key = reader.string();
        out[key] = readVariant(reader, depth + 1);
      }
      return out;
    }
    case BLOB:
      return reader.bytesField();
    default:
      throw new Error(`unknown fc variant type ${tag}`);
  }
}

/** Reads a packed `fc::exception`: code, name, what, then its log messages (each a packed variant). */
export function readFcException(reader: PackedReader): Exception {
  const code = reader.i64();
  const name = reader.string();
  const message = reader.string();
  const stack = reader.array(() => logMessage(readVariant(reader)));
  return { code: Number(code), name, message, stack };
}

function logMessage(value: Variant): Exception["stack"][number] {
  const object = asObject(value);
  const context = object.context === undefined ? undefined : logContext(object.context, 0);
  const data = object.data === undefined ? {} : object.data;
  return {
    ...(context === undefined ? {} : { context }),
    format: typeof object.format === "string" ? object.format : "",
    data: Buffer.from(JSON.stringify(jsonable(data))),
  };
}

function logContext(value: Variant, depth: number): LogContext | undefined {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const object = asObject(value);
  const text = (key: string) => (typeof object[key] === "string" ? (object[key] as string) : "");
  const timestamp = timestampFromChainTime(text("timestamp"));
  const parent = object.context === undefined ? undefined : logContext(object.context, depth + 1);
  return {
    level: text("level"),
    file: text("file"),
    line: Number(object.line ?? 0),
    method: text("method"),
    hostname: text("hostname"),
    threadName: text("thread_name"),
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(parent === undefined ? {} : { context: parent }),
  };
}

function asObject(value: Variant): { [key: string]: Variant } {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array) ? value : {};
}

// Blobs as hex, so that the arguments can be written as JSON.
function jsonable(value: Variant): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(jsonable);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonable(v)]));
  }
  return value;
}
