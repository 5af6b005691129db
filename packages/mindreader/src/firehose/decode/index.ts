/**
 * Deep-mind to Firehose: `new FirehoseDecoder().decode(blockLines)` gives a block's header facts and its encoded
 * sf.bstream.v1.Block (payload sf.antelope.type.v1.Block, schema in packages/mindreader/proto), and
 * `bstreamBlockToJson(bytes)` its protobuf JSON.
 *
 * A decoder keeps the contracts' ABIs to write action data as JSON: hand it, in chain order, every block
 * (`decode`) and the lines no block gets (`observe`: the ABIDUMP nodeos prints at startup, before any block).
 * Decoders in several threads each `observe` the blocks the others decode, which is cheap unless a block
 * changes an ABI.
 */
export { FirehoseDecoder, type DecodedBlock, type FirehoseDecoderOptions } from "./decoder.js";
export { bstreamBlockToJson } from "./json.js";
export { ANTELOPE_BLOCK_TYPE_URL, PROTO_FILES, firehoseSchema, protoDir } from "./schema.js";
