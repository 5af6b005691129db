import { createHash } from "node:crypto";
import { ABIDecoder, Name, PublicKey, Signature, UInt64 } from "@wharfkit/antelope";
import { base58 } from "./base58.js";

/** Thrown when a packed struct ends before its last field: the caller turns it into MDR_ERR_BLOCK_INCOMPLETE. */
export class PackedEndError extends Error {
  constructor(readonly size: number) {
    super(`the ${size} bytes end inside the structure`);
  }
}

/** The most items nodeos reads into an array (fc's MAX_NUM_ARRAY_ELEMENTS). */
export const MAX_ARRAY_ITEMS = 1024 * 1024;

// Names repeat a lot (accounts, actions, tables): each 64-bit value is turned into text by wharfkit once.
const NAMES = new Map<bigint, string>();
const NAMES_MAX = 100_000;
const TWO_POW_53 = 2 ** 53;
const KEYS = new Map<string, string>();
const CURVES = ["K1", "R1"] as const;

// Base58 of the bytes and the first 4 bytes of ripemd160(bytes + suffix): how Antelope writes keys and signatures.
function checked(raw: Buffer, suffix: string): string {
  const check = createHash("ripemd160").update(raw).update(suffix).digest().subarray(0, 4);
  return base58(Buffer.concat([raw, check]));
}

/**
 * Reads fc::raw packed values off a buffer, as plain values ready for the protobuf encoder: names as text,
 * checksums as hex, 64-bit integers as numbers when exact and decimal strings otherwise.
 */
export class PackedReader {
  private pos = 0;

  constructor(readonly bytes: Buffer) {}

  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.pos;
  }

  get position(): number {
    return this.pos;
  }

  private need(count: number): number {
    const at = this.pos;
    if (at + count > this.bytes.length) throw new PackedEndError(this.bytes.length);
    this.pos = at + count;
    return at;
  }

  u8(): number {
    return this.bytes[this.need(1)]!;
  }

  bool(): boolean {
    return this.u8() !== 0;
  }

  u16(): number {
    return this.bytes.readUInt16LE(this.need(2));
  }

  u32(): number {
    return this.bytes.readUInt32LE(this.need(4));
  }

  /** An unsigned 64-bit integer: a number when below 2^53, else its decimal text. */
  u64(): number | string {
    const at = this.need(8);
    const low = this.bytes.readUInt32LE(at);
    const high = this.bytes.readUInt32LE(at + 4);
    const value = high * 4294967296 + low;
    return value < TWO_POW_53 ? value : this.bytes.readBigUInt64LE(at).toString();
  }

  /** A signed 64-bit integer, the same way. */
  i64(): number | string {
    const at = this.need(8);
    const low = this.bytes.readUInt32LE(at);
    const high = this.bytes.readInt32LE(at + 4);
    const value = high * 4294967296 + low;
    return Math.abs(value) < TWO_POW_53 ? value : this.bytes.readBigInt64LE(at).toString();
  }

  f32(): number {
    return this.bytes.readFloatLE(this.need(4));
  }

  /** Moves past `count` bytes (read by someone else). */
  skip(count: number): void {
    this.need(count);
  }

  /** `count` bytes as lowercase hex. */
  fixedHex(count: number): string {
    const at = this.need(count);
    return this.bytes.toString("hex", at, at + count);
  }

  f64(): number {
    return this.bytes.readDoubleLE(this.need(8));
  }

  varuint32(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      if (shift > 35) throw new Error("varuint32 longer than 5 bytes");
    }
  }

  /** A length prefix, checked against what is left so that a cut payload never allocates a huge array. */
  count(): number {
    const n = this.varuint32();
    if (n > this.left) throw new PackedEndError(this.bytes.length);
    return n;
  }

  /**
   * The length of an array whose items may take no bytes (empty structs): the bytes left do not bound it, so it is
   * bounded as nodeos bounds arrays.
   */
  countOfEmpty(): number {
    const n = this.varuint32();
    if (n > MAX_ARRAY_ITEMS) throw new Error(`an array of ${n} items, more than nodeos reads (${MAX_ARRAY_ITEMS})`);
    return n;
  }

  /** An account, action, table or permission name. */
  name(): string {
    const at = this.need(8);
    const key = this.bytes.readBigUInt64LE(at);
    let text = NAMES.get(key);
    if (text === undefined) {
      text = String(Name.from(UInt64.from(key.toString())));
      if (NAMES.size >= NAMES_MAX) NAMES.clear();
      NAMES.set(key, text);
    }
    return text;
  }

  /** A 32-byte checksum (ids, digests) as lowercase hex. */
  checksum256(): string {
    const at = this.need(32);
    return this.bytes.toString("hex", at, at + 32);
  }

  /** A raw 32-byte checksum. */
  checksum256Bytes(): Buffer {
    const at = this.need(32);
    return this.bytes.subarray(at, at + 32);
  }

  /** `vector<char>` / `bytes`: a view of the buffer (copy it if the buffer is reused). */
  bytesField(): Buffer {
    const n = this.count();
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  string(): string {
    const n = this.count();
    const at = this.need(n);
    return this.bytes.toString("utf8", at, at + n);
  }

  /** A presence flag, then the value when present. */
  optional<T>(read: () => T): T | undefined {
    return this.bool() ? read() : undefined;
  }

  array<T>(read: () => T): T[] {
    const n = this.count();
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read();
    return out;
  }

  /**
   * A signature in its text form (SIG_K1_..., SIG_R1_...). K1 and R1 with node's ripemd160 and our base58
   * (wharfkit's JavaScript ripemd160 and base58 cost a tenth of a block's decoding); WebAuthn ones through wharfkit.
   */
  signature(): string {
    const type = this.bytes[this.pos];
    if (type !== 0 && type !== 1) return String(this.wharf((decoder) => Signature.fromABI(decoder)));
    const at = this.need(66) + 1;
    return `SIG_${CURVES[type]}_${checked(this.bytes.subarray(at, at + 65), CURVES[type])}`;
  }

  /** A public key in its text form: legacy EOS... for K1, as nodeos prints it; PUB_R1_... / PUB_WA_... otherwise. */
  publicKey(): string {
    const type = this.bytes[this.pos];
    if (type !== 0) {
      const key = this.wharf((decoder) => PublicKey.fromABI(decoder));
      return String(key);
    }
    const at = this.need(34) + 1;
    const raw = this.bytes.subarray(at, at + 33);
    const cacheKey = raw.toString("latin1");
    let text = KEYS.get(cacheKey);
    if (text === undefined) {
      text = `EOS${checked(raw, "")}`;
      if (KEYS.size >= NAMES_MAX) KEYS.clear();
      KEYS.set(cacheKey, text);
    }
    return text;
  }

  private wharf<T>(read: (decoder: ABIDecoder) => T): T {
    const decoder = new ABIDecoder(this.bytes);
    decoder.setPosition(this.pos);
    try {
      return read(decoder);
    } catch (error) {
      if (decoder.getPosition() >= this.bytes.length || /past end/i.test(String(error))) {
        throw new PackedEndError(this.bytes.length);
      }
      throw error;
    } finally {
      this.pos = Math.min(decoder.getPosition(), this.bytes.length);
    }
  }
}
