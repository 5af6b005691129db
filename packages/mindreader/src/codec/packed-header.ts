import { Name, Serializer } from "@wharfkit/antelope";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";

// The per-block fast path of the decoder: walks the packed bytes up to the end of the block header, skipping what
// the mindreader does not need, instead of building wharfkit structs for every field. Anything it does not expect
// throws `Unreadable`, and the callers fall back to the full decoder, which is the reference.

/** The fast reader met a layout it does not handle (or ran out of bytes): use the full decoder. */
export class Unreadable extends Error {}

// Block timestamps count 500 ms slots from 2000-01-01T00:00:00Z.
const BLOCK_EPOCH_MS = 946_684_800_000;
// Public key types: K1 and R1 are 33 bytes; WA adds a user-presence byte and an rpid string.
const KEY_WA = 2;

/** A cursor over packed bytes that throws `Unreadable` instead of reading past the end. */
export class PackedReader {
  pos = 0;

  constructor(readonly bytes: Buffer) {}

  need(count: number): void {
    if (count < 0 || this.pos + count > this.bytes.length) throw new Unreadable("past the end");
  }

  skip(count: number): void {
    this.need(count);
    this.pos += count;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  varuint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Unreadable("varuint too long");
  }

  hex(count: number): string {
    this.need(count);
    const text = this.bytes.toString("hex", this.pos, this.pos + count);
    this.pos += count;
    return text;
  }

  /** Skips `count` items of `item` bytes each, checking the count against what is left first. */
  skipItems(count: number, item: number): void {
    this.skip(count * item);
  }

  publicKey(): void {
    const type = this.u8();
    if (type > KEY_WA) throw new Unreadable(`public key type ${type}`);
    this.skip(33);
    if (type === KEY_WA) {
      this.skip(1);
      this.skip(this.varuint());
    }
  }

  /** `block_signing_authority`: variant index (only v0 exists), threshold, keys with weights. */
  signingAuthority(): void {
    if (this.varuint() !== 0) throw new Unreadable("block signing authority variant");
    this.skip(4);
    const keys = this.varuint();
    for (let i = 0; i < keys; i++) {
      this.publicKey();
      this.skip(2);
    }
  }
}

/** What the header gives, with the offsets of its packed bytes. */
export interface PackedHeader {
  readonly start: number;
  readonly end: number;
  readonly timestamp: string;
  readonly producer: string;
  readonly previous: string;
}

/** Reads a packed `block_header` at the reader's position; the reader ends right after it. */
export function readPackedHeader(reader: PackedReader): PackedHeader {
  const start = reader.pos;
  const slot = reader.u32();
  reader.need(8);
  const producer = nameAt(reader.bytes, reader.pos);
  reader.skip(8 + 2); // producer, confirmed
  const previous = reader.hex(32);
  reader.skip(32 + 32 + 4); // transaction_mroot, action_mroot, schedule_version
  if (reader.u8() !== 0) {
    // new_producers: legacy schedule (version, producer names and keys)
    reader.skip(4);
    const count = reader.varuint();
    for (let i = 0; i < count; i++) {
      reader.skip(8);
      reader.publicKey();
    }
  }
  const extensions = reader.varuint();
  for (let i = 0; i < extensions; i++) {
    reader.skip(2);
    reader.skip(reader.varuint());
  }
  return { start, end: reader.pos, timestamp: new Date(BLOCK_EPOCH_MS + slot * 500).toISOString(), producer, previous };
}

/**
 * The header facts of a packed leap `block_state_legacy` (the common part, the printed id, the header), id computed
 * from the header's bytes. Throws `Unreadable` when it cannot tell; the caller then uses the full decoder.
 */
export function readLegacyBlockStateMeta(bytes: Buffer): BlockMeta & { readonly printedId: string } {
  const reader = new PackedReader(bytes);
  const num = reader.u32();
  reader.skip(4); // dpos_proposed_irreversible_blocknum
  const lib = reader.u32();
  // active_schedule: version, then producers with their signing authorities
  reader.skip(4);
  const producers = reader.varuint();
  for (let i = 0; i < producers; i++) {
    reader.skip(8);
    reader.signingAuthority();
  }
  // blockroot_merkle: active nodes, node count
  reader.skipItems(reader.varuint(), 32);
  reader.skip(8);
  // producer_to_last_produced, producer_to_last_implied_irb: (name, uint32) pairs
  reader.skipItems(reader.varuint(), 12);
  reader.skipItems(reader.varuint(), 12);
  reader.signingAuthority();
  reader.skipItems(reader.varuint(), 1); // confirm_count
  const printedId = reader.hex(32);
  const header = readPackedHeader(reader);
  const id = computeBlockId(bytes.subarray(header.start, header.end), num);
  return { num, id, previous: header.previous, timestamp: header.timestamp, producer: header.producer, lib, printedId };
}

/** The header facts of a packed `signed_block` (spring's `ACCEPTED_BLOCK_V2`), id computed; LIB is not in it. */
export function readSignedBlockMeta(bytes: Buffer): Omit<BlockMeta, "lib"> {
  const header = readPackedHeader(new PackedReader(bytes));
  const num = Number.parseInt(header.previous.slice(0, 8), 16) + 1;
  const id = computeBlockId(bytes.subarray(header.start, header.end), num);
  return { num, id, previous: header.previous, timestamp: header.timestamp, producer: header.producer };
}

/**
 * Runs `read` on the bytes of a growing prefix of `hex` (`first` bytes, doubling) until it no longer runs out of
 * bytes; undefined when even the whole payload is not enough, is not hex, or `read` fails otherwise.
 */
export function readHexGrowing<T>(hex: string, first: number, read: (bytes: Buffer) => T): T | undefined {
  for (let size = first; ; size *= 2) {
    const whole = size * 2 >= hex.length;
    const bytes = Buffer.from(whole ? hex : hex.slice(0, size * 2), "hex");
    // Buffer.from stops silently at the first pair that is not hex: leave that to the full decoder's error.
    if (bytes.length * 2 !== (whole ? hex.length : size * 2)) return undefined;
    try {
      return read(bytes);
    } catch (error) {
      // Only running out of bytes is worth a longer prefix; anything else is the full decoder's to explain.
      if (!(error instanceof Unreadable) || whole) return undefined;
    }
  }
}

// Producer names repeat (a few producers a chain): decode each once.
const names = new Map<string, string>();
const NAMES_KEPT = 4096;

function nameAt(bytes: Buffer, pos: number): string {
  const key = bytes.toString("latin1", pos, pos + 8);
  let name = names.get(key);
  if (name === undefined) {
    name = String(Serializer.decode({ data: bytes.subarray(pos, pos + 8), type: Name }));
    if (names.size >= NAMES_KEPT) names.clear();
    names.set(key, name);
  }
  return name;
}
