export * from "./dbin.js";
export * from "./bstream-meta.js";
export * from "./naming.js";
export * from "./format.js";
export * from "./decoder-thread.js";
export * from "./encoder.js";
export {
  FirehoseDecoder,
  type DecodedBlock,
  type FirehoseDecoderOptions,
  bstreamBlockToJson,
  ANTELOPE_BLOCK_TYPE_URL,
} from "./decode/index.js";
