import { computeBlockId } from "../../codec/block-id.js";
import { PackedReader } from "./packed-reader.js";
import { timestampFromSlot } from "./timestamps.js";
import { inflateSync } from "node:zlib";
import { hash } from "node:crypto";

type Json = Record<string, unknown>;

/** A packed `producer_authority_schedule` as the protobuf ProducerAuthoritySchedule. */
export function readProducerAuthoritySchedule(reader: PackedReader): Json {
  const version = reader.u32();
  const producers = reader.array(() => ({
    accountName: reader.name(),
    blockSigningAuthority: readBlockSigningAuthority(reader),
  }));
  return { version, producers };
}

/** A packed `block_signing_authority` (a variant whose only alternative is v0). */
export function readBlockSigningAuthority(reader: PackedReader): Json {
  const index = reader.varuint32();
  if (index !== 0) throw new Error(`unknown block_signing_authority variant ${index}`);
  const threshold = reader.u32();
  const keys = reader.array(() => ({ publicKey: reader.publicKey(), weight: reader.u16() }));
  return { v0: { threshold, keys } };
}

/** What a packed `signed_block_header` gives: the protobuf header, the producer signature, the computed id. */
export interface HeaderRead {
  readonly header: Json;
  readonly producerSignature: string;
  readonly id: string;
  readonly num: number;
  readonly previous: string;
  readonly timestampMs: number;
}

/** Reads a `signed_block_header`; the id is sha256 of the packed `block_header` with the number in front. */
export function readSignedBlockHeader(reader: PackedReader): HeaderRead {
  const start = reader.position;
  const slot = reader.u32();
  const producer = reader.name();
  const confirmed = reader.u16();
  const previous = reader.checksum256();
  const transactionMroot = reader.checksum256Bytes();
  const actionMroot = reader.checksum256Bytes();
  const scheduleVersion = reader.u32();
  const newProducers = reader.optional(() => ({
    version: reader.u32(),
    producers: reader.array(() => ({ accountName: reader.name(), blockSigningKey: reader.publicKey() })),
  }));
  const headerExtensions = reader.array(() => ({ type: reader.u16(), data: reader.bytesField() }));
  const num = Number.parseInt(previous.slice(0, 8), 16) + 1;
  const id = computeBlockId(reader.bytes.subarray(start, reader.position), num);
  const producerSignature = reader.signature();
  const timestamp = timestampFromSlot(slot);
  const header: Json = {
    timestamp,
    producer,
    confirmed,
    previous,
    transactionMroot,
    actionMroot,
    scheduleVersion,
    headerExtensions,
    decodedHeaderExtensions: headerExtensions.flatMap((e) => decodeHeaderExtension(e.type, e.data)),
    ...(newProducers === undefined ? {} : { newProducersV1: newProducers }),
  };
  return { header, producerSignature, id, num, previous, timestampMs: timestamp.seconds * 1000 + timestamp.nanos / 1e6 };
}

// protocol_feature_activation (0) and producer_schedule_change_extension (1); others (finality, 2) stay raw only.
function decodeHeaderExtension(type: number, data: Buffer): Json[] {
  try {
    const reader = new PackedReader(data);
    if (type === 0) {
      const features = reader.array(() => reader.checksum256Bytes());
      return [{ protocolFeatureActivationExtension: { protocolFeatures: features } }];
    }
    if (type === 1) {
      return [{ producerScheduleChangeExtension: { producerSchedule: readProducerAuthoritySchedule(reader) } }];
    }
  } catch {
    // An extension this reader does not know how to read is kept in header_extensions as bytes.
  }
  return [];
}

/** Reads the rest of a `signed_block` after its header: the transaction receipts and block extensions. */
export function readSignedBlockBody(reader: PackedReader): { transactions: Json[]; blockExtensions: Json[] } {
  let index = 0;
  const transactions = reader.array(() => readReceipt(reader, index++));
  const blockExtensions = reader.array(() => ({ type: reader.u16(), data: reader.bytesField() }));
  return { transactions, blockExtensions };
}

function readReceipt(reader: PackedReader, index: number): Json {
  const status = reader.u8() + 1;
  const cpuUsageMicroSeconds = reader.u32();
  const netUsageWords = reader.varuint32();
  const kind = reader.varuint32();
  const base = { index, status, cpuUsageMicroSeconds, netUsageWords };
  if (kind === 0) return { ...base, id: reader.checksum256() };
  if (kind !== 1) throw new Error(`unknown transaction receipt variant ${kind}`);
  const signatures = reader.array(() => reader.signature());
  const compression = reader.u8();
  const packedContextFreeData = reader.bytesField();
  const packedTransaction = reader.bytesField();
  const plain = compression === 1 ? inflateSync(packedTransaction) : packedTransaction;
  const id = hash("sha256", plain, "hex");
  return { ...base, id, packedTransaction: { signatures, compression, packedContextFreeData, packedTransaction } };
}
