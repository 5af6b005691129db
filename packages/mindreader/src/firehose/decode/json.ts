import protobuf from "protobufjs";
import { firehoseSchema } from "./schema.js";

const JSON_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/**
 * The protobuf JSON mapping of an encoded sf.bstream.v1.Block, its payload unpacked as
 * `{"@type": "type.googleapis.com/sf.antelope.type.v1.Block", ...}`: lowerCamelCase names, default values left out,
 * 64-bit integers as strings, enums by name, bytes as base64, timestamps as RFC 3339 text.
 */
export function bstreamBlockToJson(bytes: Uint8Array): unknown {
  const { bstreamBlock, antelopeBlock } = firehoseSchema();
  const block = bstreamBlock.decode(bytes) as unknown as Record<string, unknown>;
  const any = block.payload as { type_url?: string; value?: Uint8Array } | undefined;
  delete block.payload;
  pruneDefaults(bstreamBlock, block);
  const json = bstreamBlock.toObject(block as unknown as protobuf.Message, JSON_OPTIONS);
  if (any === undefined) return json;
  const url = any.type_url ?? "";
  const type = url.endsWith("/sf.antelope.type.v1.Block") ? antelopeBlock : undefined;
  if (type === undefined) return { ...json, payload: { "@type": url, value: Buffer.from(any.value ?? []).toString("base64") } };
  const payload = type.decode(any.value ?? new Uint8Array()) as unknown as Record<string, unknown>;
  pruneDefaults(type, payload);
  return { ...json, payload: { "@type": url, ...type.toObject(payload as unknown as protobuf.Message, JSON_OPTIONS) } };
}

// protobufjs writes a proto3 scalar that was set even when it holds its default, and reads it back as set; the
// JSON mapping leaves defaults out. Message fields and oneof members keep their presence.
function pruneDefaults(type: protobuf.Type, message: Record<string, unknown>): void {
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (field.repeated) {
      if (nested !== undefined) for (const item of value as Record<string, unknown>[]) pruneDefaults(nested, item);
    } else if (nested !== undefined) {
      if (value !== null && typeof value === "object") pruneDefaults(nested, value as Record<string, unknown>);
    } else if (field.partOf === null && isDefault(value)) {
      delete message[field.name];
    }
  }
}

function isDefault(value: unknown): boolean {
  if (value === 0 || value === "" || value === false) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  // 64-bit integers come back as Long objects.
  const long = value as { isZero?: () => boolean } | null;
  return typeof long?.isZero === "function" && long.isZero();
}
