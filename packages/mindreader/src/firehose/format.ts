import { promisify } from "node:util";
import { constants, zstdCompressSync, zstdDecompress } from "node:zlib";
import type { BlockFileFormat } from "../files/format.js";
import { dbinHeader } from "./dbin.js";
import { firehoseBundleFileName, firehoseOneBlockFileName, isFirehoseBundleFileName, parseFirehoseOneBlockFileName } from "./naming.js";

const zstdDecompressAsync = promisify(zstdDecompress);

/** zstd level of block files: the level `zstd -3` (and the library's default) uses. */
export const FIREHOSE_ZSTD_LEVEL = 3;

/** The zstd parameters of every frame: level 3, with a checksum so a damaged file is caught when read. */
export const FIREHOSE_ZSTD_PARAMS = {
  [constants.ZSTD_c_compressionLevel]: FIREHOSE_ZSTD_LEVEL,
  [constants.ZSTD_c_checksumFlag]: 1,
};

/**
 * Firehose's files, as firehose-core's reader node and merger write them: a dbin v1 stream of sf.bstream.v1.Block
 * (content type `type.googleapis.com/sf.antelope.type.v1.Block`), zstd-compressed. The dbin header is a zstd frame
 * of its own and each block another, so the frames concatenate into one-block files and merged bundles alike.
 */
export const FIREHOSE_FORMAT: BlockFileFormat = {
  name: "firehose",
  encoding: "zstd",
  // A buffer of its own (zstd's output is a view of a larger one), as it is posted to the writer threads.
  fileHead: new Uint8Array(zstdCompressSync(dbinHeader(), { params: FIREHOSE_ZSTD_PARAMS })),
  oneBlockPrefix: "one-blocks/",
  bundlePrefix: "merged-blocks/",
  oneBlockFileName: firehoseOneBlockFileName,
  parseOneBlockFileName: parseFirehoseOneBlockFileName,
  bundleFileName: firehoseBundleFileName,
  isBundleFileName: isFirehoseBundleFileName,
  async isIntact(bytes) {
    if (bytes.length === 0) return false;
    try {
      await zstdDecompressAsync(bytes);
      return true;
    } catch {
      return false;
    }
  },
};
