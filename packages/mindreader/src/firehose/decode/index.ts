export { FirehoseDecoder, type DecodedBlock, type FirehoseDecoderOptions } from "./decoder.js";
export { bstreamBlockToJson } from "./json.js";
export { ANTELOPE_BLOCK_TYPE_URL, PROTO_FILES, firehoseSchema, protoDir } from "./schema.js";
