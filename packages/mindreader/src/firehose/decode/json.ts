import { firehoseSchema } from "./schema.js";

/**
 * The protobuf JSON mapping of an encoded sf.bstream.v1.Block, its payload unpacked as
 * `{"@type": "type.googleapis.com/sf.antelope.type.v1.Block", ...}`: lowerCamelCase names, default values left out,
 * 64-bit integers as strings, enums by name, bytes as base64, timestamps as RFC 3339 text.
 */
export function bstreamBlockToJson(bytes: Uint8Array): unknown {
  const { bstreamBlock } = firehoseSchema();
  const message = bstreamBlock.decode(bytes);
  return bstreamBlock.toObject(message, { longs: String, enums: String, bytes: String, json: true });
}
