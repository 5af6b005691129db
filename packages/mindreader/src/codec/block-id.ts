import { hash } from "node:crypto";
import { Serializer } from "@wharfkit/antelope";
import { BlockHeader } from "./header.js";

/** The block id: sha256 of the packed `block_header`, its first 4 bytes replaced by the block number (big-endian). */
export function computeBlockId(packedHeader: Uint8Array, blockNum: number): string {
  const digest = hash("sha256", packedHeader, "buffer");
  digest.writeUInt32BE(blockNum >>> 0, 0);
  return digest.toString("hex");
}

/** The block number carried in the first 4 bytes of a block id. */
export function blockNumFromId(id: string): number {
  return Number.parseInt(id.slice(0, 8), 16);
}

/** The id of a header (or of any struct extending it, such as a signed block): its number is `previous`'s plus one. */
export function blockIdOf(header: BlockHeader): string {
  const plain = BlockHeader.from({
    timestamp: header.timestamp,
    producer: header.producer,
    confirmed: header.confirmed,
    previous: header.previous,
    transaction_mroot: header.transaction_mroot,
    action_mroot: header.action_mroot,
    schedule_version: header.schedule_version,
    new_producers: header.new_producers,
    header_extensions: header.header_extensions,
  });
  const packed = Serializer.encode({ object: plain }).array;
  return computeBlockId(packed, blockNumFromId(String(header.previous)) + 1);
}
