import { Name, Serializer } from "@wharfkit/antelope";
import { computeBlockId } from "./block-id.js";
import type { BlockMeta } from "./block-meta.js";

/** Which `block_state_legacy` layout an `ACCEPTED_BLOCK <num> <hex>` line carries: leap 13's, or spring 1's. */
export type LegacyStateLayout = "leap" | "spring";

// The per-block fast path of the decoder: walks the packed bytes to their end, reading the header facts and skipping
// what the mindreader does not need, instead of building wharfkit structs for every field. Anything it does not
// expect (running out of bytes and bytes left over included) throws `Unreadable`, and the callers fall back to the
// full decoder, which is the reference and explains what is wrong.

/** The fast reader met a layout it does not handle (or ran out of bytes): use the full decoder. */
export class Unreadable extends Error {}

// Block timestamps count 500 ms slots from 2000-01-01T00:00:00Z.
const BLOCK_EPOCH_MS = 946_684_800_000;
// Key types: K1 and R1 keys are 33 bytes, signatures 65; WA adds to a key a user-presence byte and an rpid string,
// to a signature the authenticator data and the client JSON.
const KEY_WA = 2;
// `transaction_receipt`'s variant: a transaction id, or the packed transaction.
const RECEIPT_PACKED = 1;

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

  /** A `bool` or an optional's presence flag; anything but 0 or 1 is left to the full decoder. */
  flag(): boolean {
    const value = this.u8();
    if (value > 1) throw new Unreadable(`flag ${value}`);
    return value === 1;
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.pos !== this.bytes.length) throw new Unreadable(`${this.bytes.length - this.pos} bytes left`);
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

  /** A signature: key type, 65 compact bytes, and for WA the authenticator data and client JSON. */
  signature(): void {
    const type = this.u8();
    if (type > KEY_WA) throw new Unreadable(`signature type ${type}`);
    this.skip(65);
    if (type === KEY_WA) {
      this.skip(this.varuint());
      this.skip(this.varuint());
    }
  }

  /** `extensions_type`: (uint16 type, bytes) pairs. */
  extensions(): void {
    const count = this.varuint();
    for (let i = 0; i < count; i++) {
      this.skip(2);
      this.skip(this.varuint());
    }
  }

  /** `producer_authority_schedule`: version, then producers with their signing authorities. */
  producerSchedule(): void {
    this.skip(4);
    const producers = this.varuint();
    for (let i = 0; i < producers; i++) {
      this.skip(8);
      this.signingAuthority();
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
  reader.extensions();
  return { start, end: reader.pos, timestamp: new Date(BLOCK_EPOCH_MS + slot * 500).toISOString(), producer, previous };
}

/** Skips what follows the header in a packed `signed_block`: signature, transaction receipts, extensions. */
export function skipSignedBlockTail(reader: PackedReader): void {
  reader.signature();
  const transactions = reader.varuint();
  for (let i = 0; i < transactions; i++) {
    reader.skip(1 + 4); // status, cpu_usage_us
    reader.varuint(); // net_usage_words
    const kind = reader.u8();
    if (kind === RECEIPT_PACKED) {
      const signatures = reader.varuint();
      for (let j = 0; j < signatures; j++) reader.signature();
      reader.skip(1); // compression
      reader.skip(reader.varuint()); // packed_context_free_data
      reader.skip(reader.varuint()); // packed_trx
    } else if (kind === 0) {
      reader.skip(32); // the transaction id
    } else {
      throw new Unreadable(`transaction receipt variant ${kind}`);
    }
  }
  reader.extensions();
}

// Skips what follows the header in a packed legacy block state: signature, pending schedule, features, extra
// signatures, the signed block, `validated`, and in spring's layout `action_mroot_savanna`.
function skipLegacyStateTail(reader: PackedReader, layout: LegacyStateLayout): void {
  reader.signature();
  reader.skip(4 + 32); // pending_schedule: schedule_lib_num, schedule_hash
  reader.producerSchedule();
  if (reader.flag()) reader.skipItems(reader.varuint(), 32); // activated_protocol_features
  const signatures = reader.varuint();
  for (let i = 0; i < signatures; i++) reader.signature();
  if (reader.flag()) {
    readPackedHeader(reader);
    skipSignedBlockTail(reader);
  }
  reader.flag(); // validated
  if (layout === "spring" && reader.flag()) reader.skip(32);
}

/**
 * The header facts of a whole packed legacy block state (the common part, the printed id, the header), id computed
 * from the header's bytes, having walked it to its last byte in `layout`. Throws `Unreadable` when it cannot tell
 * (the bytes end early or go on past the end included); the caller then uses the full decoder.
 */
export function readLegacyBlockStateMeta(bytes: Buffer, layout: LegacyStateLayout): BlockMeta & { readonly printedId: string } {
  const reader = new PackedReader(bytes);
  const num = reader.u32();
  reader.skip(4); // dpos_proposed_irreversible_blocknum
  const lib = reader.u32();
  reader.producerSchedule(); // active_schedule
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
  skipLegacyStateTail(reader, layout);
  reader.end();
  const id = computeBlockId(bytes.subarray(header.start, header.end), num);
  return { num, id, previous: header.previous, timestamp: header.timestamp, producer: header.producer, lib, printedId };
}

/** The header facts of a whole packed `signed_block` (spring's `ACCEPTED_BLOCK_V2`), id computed; LIB is not in it. */
export function readSignedBlockMeta(bytes: Buffer): Omit<BlockMeta, "lib"> {
  const reader = new PackedReader(bytes);
  const header = readPackedHeader(reader);
  skipSignedBlockTail(reader);
  reader.end();
  const num = Number.parseInt(header.previous.slice(0, 8), 16) + 1;
  const id = computeBlockId(bytes.subarray(header.start, header.end), num);
  return { num, id, previous: header.previous, timestamp: header.timestamp, producer: header.producer };
}

/** `read(bytes)`, or undefined when it throws: the full decoder then gives the answer or the error. */
export function readFast<T>(bytes: Buffer, read: (bytes: Buffer) => T): T | undefined {
  try {
    return read(bytes);
  } catch {
    return undefined;
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
