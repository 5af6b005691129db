import { ABIDecoder, Float32, Float64, PublicKey, Signature } from "@wharfkit/antelope";
import type { AbiTypes } from "./abi-def.js";
import { PackedReader } from "./packed-reader.js";
import { slotToMs } from "./timestamps.js";

/**
 * Reads one value of an ABI type and writes it as JSON text: the text JSON.stringify gives for the value wharfkit's
 * Serializer.objectify gives, without building the value first.
 */
type Read = (r: PackedReader) => string;

const text = (value: unknown): string => JSON.stringify(value);
const TWO_POW_32 = 4294967296;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

// fc's rule, which wharfkit follows: 64 and 128-bit integers of more than 32 bits are strings.
function wide(value: number | string | bigint): number | string {
  const n = Number(value);
  return Math.abs(n) < TWO_POW_32 ? n : String(value);
}

function u128(r: PackedReader, signed: boolean): number | string {
  const low = BigInt(r.u64());
  const high = BigInt(r.u64());
  let value = (high << 64n) | low;
  if (signed && high >= 1n << 63n) value -= 1n << 128n;
  return wide(value);
}

function symbolCode(r: PackedReader, bytes: number): string {
  let code = "";
  for (let i = 0; i < bytes; i++) {
    const c = r.u8();
    if (c !== 0) code += String.fromCharCode(c);
  }
  return code;
}

function asset(r: PackedReader): string {
  const amount = BigInt(r.i64());
  const precision = r.u8();
  const code = symbolCode(r, 7);
  const digits = (amount < 0n ? -amount : amount).toString().padStart(precision + 1, "0");
  const units = precision === 0 ? digits : `${digits.slice(0, -precision)}.${digits.slice(-precision)}`;
  return `${amount < 0n ? "-" : ""}${units} ${code}`;
}

// ISO 8601 without the zone, as fc and wharfkit print chain times.
function chainTime(ms: number, millis: boolean): string {
  const iso = new Date(ms).toISOString();
  return millis ? iso.slice(0, 23) : iso.slice(0, 19);
}

function viaWharfkit(read: (decoder: ABIDecoder) => unknown): Read {
  return (r) => {
    const decoder = new ABIDecoder(r.bytes);
    decoder.setPosition(r.position);
    const value = String(read(decoder));
    r.skip(decoder.getPosition() - r.position);
    return text(value);
  };
}

const BUILTINS: Readonly<Record<string, Read>> = {
  bool: (r) => (r.bool() ? "true" : "false"),
  int8: (r) => String((r.u8() << 24) >> 24),
  uint8: (r) => String(r.u8()),
  int16: (r) => String((r.u16() << 16) >> 16),
  uint16: (r) => String(r.u16()),
  int32: (r) => String(r.u32() | 0),
  uint32: (r) => String(r.u32()),
  int64: (r) => text(wide(r.i64())),
  uint64: (r) => text(wide(r.u64())),
  int128: (r) => text(u128(r, true)),
  uint128: (r) => text(u128(r, false)),
  varuint32: (r) => String(r.varuint32()),
  varint32: (r) => {
    const v = r.varuint32();
    return String(v % 2 === 0 ? v / 2 : -(v + 1) / 2);
  },
  float32: (r) => text(Float32.from(r.f32()).toJSON()),
  float64: (r) => text(Float64.from(r.f64()).toJSON()),
  name: (r) => text(r.name()),
  account_name: (r) => text(r.name()),
  string: (r) => {
    const bytes = r.bytesField();
    return text(UTF8.decode(bytes));
  },
  bytes: (r) => `"${r.bytesField().toString("hex")}"`,
  checksum160: (r) => `"${r.fixedHex(20)}"`,
  checksum256: (r) => `"${r.fixedHex(32)}"`,
  checksum512: (r) => `"${r.fixedHex(64)}"`,
  time_point: (r) => `"${chainTime(Number(BigInt(r.i64()) / 1000n), true)}"`,
  time_point_sec: (r) => `"${chainTime(r.u32() * 1000, false)}"`,
  block_timestamp_type: (r) => `"${chainTime(slotToMs(r.u32()), true)}"`,
  symbol: (r) => {
    const precision = r.u8();
    return text(`${precision},${symbolCode(r, 7)}`);
  },
  symbol_code: (r) => text(symbolCode(r, 8)),
  asset: (r) => text(asset(r)),
  extended_asset: (r) => {
    const quantity = asset(r);
    return `{"quantity":${text(quantity)},"contract":${text(r.name())}}`;
  },
  public_key: viaWharfkit((decoder) => PublicKey.fromABI(decoder)),
  signature: viaWharfkit((decoder) => Signature.fromABI(decoder)),
};

/** An ABI's types compiled to readers; a type using something not handled here has none (wharfkit decodes it). */
export class AbiJson {
  private readonly aliases = new Map<string, string>();
  private readonly structs = new Map<string, { base: string; fields: Array<{ name: string; type: string }> }>();
  private readonly variants = new Map<string, string[]>();
  private readonly compiled = new Map<string, Read | null>();

  constructor(abi: AbiTypes) {
    for (const t of abi.types) this.aliases.set(t.new_type_name, t.type);
    for (const s of abi.structs) this.structs.set(s.name, { base: s.base, fields: s.fields.map((f) => ({ ...f })) });
    for (const v of abi.variants) this.variants.set(v.name, [...v.types]);
  }

  /** The JSON text of `data` read as `type`, or undefined when the type is not one this reader handles. */
  json(type: string, data: Uint8Array): string | undefined {
    const read = this.reader(type);
    if (read === null) return undefined;
    return read(new PackedReader(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  }

  private reader(type: string): Read | null {
    const known = this.compiled.get(type);
    if (known !== undefined) return known;
    // Set first: a type that contains itself (through an array or optional) finds its reader.
    let read: Read | null = null;
    this.compiled.set(type, (r) => read!(r));
    read = this.compile(type, 0);
    this.compiled.set(type, read);
    return read;
  }

  private compile(type: string, depth: number): Read | null {
    if (depth > 32) return null;
    if (type.endsWith("[]")) return this.arrayOf(this.reader(type.slice(0, -2)), this.takesNoBytes(type.slice(0, -2), 0));
    if (type.endsWith("?")) return this.optionalOf(this.reader(type.slice(0, -1)));
    if (type.endsWith("$")) return this.reader(type.slice(0, -1));
    const alias = this.aliases.get(type);
    if (alias !== undefined) return this.compile(alias, depth + 1);
    const struct = this.structs.get(type);
    if (struct !== undefined) return this.struct(type, depth);
    const variant = this.variants.get(type);
    if (variant !== undefined) return this.variant(variant);
    return BUILTINS[type] ?? null;
  }

  // An array's count is checked against the bytes left (each item takes one at least), unless its items may take none.
  private arrayOf(item: Read | null, emptyItems: boolean): Read | null {
    if (item === null) return null;
    return (r) => {
      const n = emptyItems ? r.countOfEmpty() : r.count();
      if (n === 0) return "[]";
      let out = `[${item(r)}`;
      for (let i = 1; i < n; i++) out += `,${item(r)}`;
      return `${out}]`;
    };
  }

  // True when a value of the type can take no bytes: a struct (or an alias of one) whose base and fields all can.
  // Arrays, optionals and variants start with a byte; a binary extension field may be absent.
  private takesNoBytes(type: string, depth: number): boolean {
    if (depth > 32 || type.endsWith("[]") || type.endsWith("?")) return false;
    if (type.endsWith("$")) return true;
    const alias = this.aliases.get(type);
    if (alias !== undefined) return this.takesNoBytes(alias, depth + 1);
    const struct = this.structs.get(type);
    if (struct === undefined) return false;
    if (struct.base !== "" && !this.takesNoBytes(struct.base, depth + 1)) return false;
    return struct.fields.every((f) => this.takesNoBytes(f.type, depth + 1));
  }

  private optionalOf(item: Read | null): Read | null {
    if (item === null) return null;
    return (r) => (r.bool() ? item(r) : "null");
  }

  private variant(types: string[]): Read | null {
    const readers = types.map((t) => this.reader(t));
    if (readers.some((x) => x === null)) return null;
    return (r) => {
      const index = r.varuint32();
      const read = readers[index];
      if (read === undefined || read === null) throw new Error(`variant index ${index} out of range`);
      return `[${text(types[index])},${read(r)}]`;
    };
  }

  private struct(type: string, depth: number): Read | null {
    const fields: Array<{ name: string; read: Read; extension: boolean }> = [];
    for (let at: string | undefined = type; at !== undefined && at !== ""; at = this.structs.get(at)?.base) {
      const struct = this.structs.get(at);
      if (struct === undefined || depth > 32) return null;
      const own: typeof fields = [];
      for (const f of struct.fields) {
        const read = this.reader(f.type);
        if (read === null) return null;
        own.push({ name: f.name, read, extension: f.type.endsWith("$") });
      }
      fields.unshift(...own);
      depth++;
    }
    // Each field's key as JSON writes it, the first after the brace. A name given twice (a base's field again in
    // the struct) keeps its first place and its last value, as in an object.
    if (new Set(fields.map((f) => f.name)).size < fields.length) return this.repeatedNames(fields);
    if (fields.length === 0) return () => "{}";
    const keys = fields.map((f, i) => `${i === 0 ? "{" : ","}${text(f.name)}:`);
    return (r) => {
      let out = "";
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i]!;
        out += keys[i]! + (f.extension && r.left === 0 ? "null" : f.read(r));
      }
      return `${out}}`;
    };
  }

  // A struct whose fields repeat a name: the values in an object, as JSON.stringify writes one.
  private repeatedNames(fields: ReadonlyArray<{ name: string; read: Read; extension: boolean }>): Read {
    return (r) => {
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f.name] = JSON.parse(f.extension && r.left === 0 ? "null" : f.read(r));
      return text(out);
    };
  }
}
