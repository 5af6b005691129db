import { MindreaderErrors } from "../errors.js";

/** The chain-agnostic fields of an sf.bstream.v1.Block, read without its payload. */
export interface BstreamMeta {
  readonly number: number;
  readonly id: string;
  readonly parentId: string;
  readonly parentNum: number;
  readonly libNum: number;
  /** Block time, epoch milliseconds. */
  readonly timestampMs: number;
}

// Wire types of the protobuf encoding.
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/**
 * Reads number (1), id (2), parent_id (3), timestamp (4), lib_num (5) and parent_num (10) of an encoded
 * sf.bstream.v1.Block, skipping every other field; a message that does not parse is MDR_ERR_DECODE naming `what`.
 */
export function readBstreamMeta(bytes: Uint8Array, what: string): BstreamMeta {
  const reader = new Reader(bytes, what);
  let number = 0;
  let id = "";
  let parentId = "";
  let parentNum = 0;
  let libNum = 0;
  let timestampMs = 0;
  while (!reader.done) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 1 && wire === VARINT) number = reader.varint();
    else if (field === 2 && wire === BYTES) id = reader.text();
    else if (field === 3 && wire === BYTES) parentId = reader.text();
    else if (field === 4 && wire === BYTES) timestampMs = readTimestamp(reader.bytes(), what);
    else if (field === 5 && wire === VARINT) libNum = reader.varint();
    else if (field === 10 && wire === VARINT) parentNum = reader.varint();
    else reader.skip(wire);
  }
  return { number, id, parentId, parentNum, libNum, timestampMs };
}

// google.protobuf.Timestamp {seconds = 1, nanos = 2} as epoch milliseconds.
function readTimestamp(bytes: Uint8Array, what: string): number {
  const reader = new Reader(bytes, what);
  let seconds = 0;
  let nanos = 0;
  while (!reader.done) {
    const key = reader.varint();
    if (key === (1 << 3) + VARINT) seconds = reader.varint();
    else if (key === (2 << 3) + VARINT) nanos = reader.varint();
    else reader.skip(key % 8);
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

class Reader {
  private at = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buf[this.at++];
      if (byte === undefined) throw MindreaderErrors.decode(this.what, "protobuf varint cut short");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw MindreaderErrors.decode(this.what, "protobuf varint longer than 10 bytes");
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (this.at + length > this.buf.length) throw MindreaderErrors.decode(this.what, "protobuf field cut short");
    const out = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  text(): string {
    const bytes = this.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === BYTES) this.bytes();
    else if (wire === FIXED64) this.advance(8);
    else if (wire === FIXED32) this.advance(4);
    else throw MindreaderErrors.decode(this.what, `protobuf wire type ${wire} not supported`);
  }

  private advance(count: number): void {
    if (this.at + count > this.buf.length) throw MindreaderErrors.decode(this.what, "protobuf field cut short");
    this.at += count;
  }
}
