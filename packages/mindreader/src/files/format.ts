import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { BlockMeta } from "../codec/block-meta.js";
import { BUNDLE_EXT, bundleFileName, type OneBlockName, oneBlockFileName, parseOneBlockFileName } from "./naming.js";

const gunzipAsync = promisify(gunzip);

/** The block file formats: Firehose's (dbin of sf.bstream.v1.Block, zstd) and the first one (gzip of DMLOG lines). */
export const BLOCK_FILE_FORMATS = ["firehose", "dmlog"] as const;

/** One of BLOCK_FILE_FORMATS. */
export type BlockFileFormatName = (typeof BLOCK_FILE_FORMATS)[number];

/**
 * What differs between block file formats. A one-block file is `fileHead` then its block's member (one compressed
 * frame); a bundle is `fileHead` then its blocks' members back to back. So a bundle is made of one-block files
 * without their heads, and any member of a bundle is cut out again as a one-block file by putting the head back.
 */
export interface BlockFileFormat {
  readonly name: BlockFileFormatName;
  /** How a writer thread turns a block into its member: gzip of DMLOG text, or zstd of a dbin frame. */
  readonly encoding: "gzip" | "zstd";
  /** Bytes every one-block file and bundle start with, before the members (empty for dmlog). */
  readonly fileHead: Uint8Array;
  /** Default store prefixes. */
  readonly oneBlockPrefix: string;
  readonly bundlePrefix: string;
  oneBlockFileName(meta: BlockMeta, suffix: string): string;
  /** Reads a one-block file name of this format back; undefined for any other name. */
  parseOneBlockFileName(name: string): OneBlockName | undefined;
  bundleFileName(base: number): string;
  isBundleFileName(name: string): boolean;
  /** True when the bytes are a complete file or member (every frame decodes, checksums included). */
  isIntact(bytes: Uint8Array): Promise<boolean>;
}

/** The first format: `.dmblock.gz` one-block files (a JSON header line, then the DMLOG lines) and `.dmbundle.gz` bundles. */
export const DMLOG_FORMAT: BlockFileFormat = {
  name: "dmlog",
  encoding: "gzip",
  fileHead: new Uint8Array(0),
  oneBlockPrefix: "one-blocks/",
  bundlePrefix: "bundles/",
  oneBlockFileName,
  parseOneBlockFileName,
  bundleFileName,
  isBundleFileName: (name) => /^\d{10}\.dmbundle\.gz$/.test(name) && name.endsWith(BUNDLE_EXT),
  async isIntact(bytes) {
    if (bytes.length === 0) return false;
    try {
      await gunzipAsync(bytes);
      return true;
    } catch {
      return false;
    }
  },
};
