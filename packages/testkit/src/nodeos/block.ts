import { createHash } from "node:crypto";
import { Bytes, KeyType, Name, Signature, UInt64 } from "@wharfkit/antelope";

// block_timestamp_type counts 500 ms slots since 2000-01-01T00:00:00.000Z.
const BLOCK_TIMESTAMP_EPOCH_MS = 946_684_800_000;
const BLOCK_TIMESTAMP_INTERVAL_MS = 500;
/** Size of a packed block_header with no new_producers and no extensions. */
export const HEADER_SIZE = 116;

/** A simulated block: header fields, id, signature and the simulator's precise time. */
export interface SimBlock {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly timeMs: number;
  readonly producer: string;
  readonly confirmed: number;
  readonly transactionMroot: string;
  readonly actionMroot: string;
  readonly scheduleVersion: number;
  readonly signature: string;
}

/** The header fields a block is built from; the id follows from them. */
export type BlockHeaderFields = Omit<SimBlock, "id" | "signature">;

/** block_timestamp_type slot of a time (500 ms resolution). */
export function blockTimestampSlot(ms: number): number {
  return Math.floor((ms - BLOCK_TIMESTAMP_EPOCH_MS) / BLOCK_TIMESTAMP_INTERVAL_MS);
}

/** The time of a block_timestamp_type slot. */
export function slotTimeMs(slot: number): number {
  return BLOCK_TIMESTAMP_EPOCH_MS + slot * BLOCK_TIMESTAMP_INTERVAL_MS;
}

/** Packs block_header as nodeos does (fc::raw): the bytes a block id is hashed from. */
export function packHeader(h: BlockHeaderFields): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeUInt32LE(blockTimestampSlot(h.timeMs), 0);
  buf.writeBigUInt64LE(BigInt(Name.from(h.producer).value.toString()), 4);
  buf.writeUInt16LE(h.confirmed, 12);
  Buffer.from(h.previous, "hex").copy(buf, 14);
  Buffer.from(h.transactionMroot, "hex").copy(buf, 46);
  Buffer.from(h.actionMroot, "hex").copy(buf, 78);
  buf.writeUInt32LE(h.scheduleVersion, 110);
  buf[114] = 0; // new_producers: none
  buf[115] = 0; // header_extensions: empty
  return buf;
}

/** block_header::calculate_id: sha256 of the packed header with the first 4 bytes replaced by the number. */
export function blockIdOf(header: Buffer, num: number): string {
  const hash = createHash("sha256").update(header).digest();
  hash.writeUInt32BE(num, 0);
  return hash.toString("hex");
}

/** The number a block id carries in its first 4 bytes. */
export function blockNumOfId(id: string): number {
  return Buffer.from(id.slice(0, 8), "hex").readUInt32BE(0);
}

/** The digest a producer signs for a block. */
export function signingDigest(header: Buffer, chainId: string): string {
  return createHash("sha256").update(header).update(Buffer.from(chainId, "hex")).digest("hex");
}

/** A well-formed K1 signature string derived from a seed, for blocks signed by producers outside the simulator. */
export function placeholderSignature(seed: string): string {
  const a = createHash("sha256").update(seed).digest();
  const b = createHash("sha256").update(a).digest();
  const data = Buffer.concat([Buffer.from([31]), a, b]);
  return new Signature(KeyType.K1, Bytes.from(new Uint8Array(data))).toString();
}

/** Packs a signed_block: header, producer_signature, no transactions, no extensions. */
export function packSignedBlock(block: SimBlock): Buffer {
  const sig = Signature.from(block.signature);
  const sigBytes = Buffer.from(sig.data.array);
  return Buffer.concat([packHeader(block), Buffer.from([0]), sigBytes, Buffer.from([0, 0])]);
}

/** Reads a signed_block packed by packSignedBlock back; the caller knows the number and the precise time. */
export function unpackSignedBlock(bytes: Buffer, num: number, timeMs: number): SimBlock {
  const header = bytes.subarray(0, HEADER_SIZE);
  const sigData = bytes.subarray(HEADER_SIZE + 1, HEADER_SIZE + 66);
  return {
    num,
    id: blockIdOf(header, num),
    timeMs,
    producer: Name.from(UInt64.from(header.readBigUInt64LE(4).toString())).toString(),
    confirmed: header.readUInt16LE(12),
    previous: header.subarray(14, 46).toString("hex"),
    transactionMroot: header.subarray(46, 78).toString("hex"),
    actionMroot: header.subarray(78, 110).toString("hex"),
    scheduleVersion: header.readUInt32LE(110),
    signature: new Signature(KeyType.K1, Bytes.from(new Uint8Array(sigData))).toString(),
  };
}
