import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import type { AssembledBlock } from "../reader/assembler.js";
import type { DeepMindVersion } from "../reader/version.js";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** The first line of a one-block file. */
export interface BlockFileHeader extends BlockMeta {
  readonly version: DeepMindVersion;
}

/** A one-block file's text: the header line (JSON) then the block's DMLOG lines, each ending in a newline. */
export function blockFileText(block: AssembledBlock): string {
  const { num, id, previous, timestamp, producer, lib } = block.meta;
  const header: BlockFileHeader = { num, id, previous, timestamp, producer, lib, version: block.version };
  return `${JSON.stringify(header)}\n${block.lines.join("\n")}\n`;
}

/** The gzipped one-block file (off the event loop: zlib runs in the thread pool). */
export async function encodeBlockFile(block: AssembledBlock): Promise<Buffer> {
  return gzipAsync(blockFileText(block));
}

/** One block read back from a file or a bundle. */
export interface BlockFileContent {
  readonly header: BlockFileHeader;
  readonly lines: string[];
}

/** Reads one-block files back; a bundle (concatenated gzip members) gives every block in order. */
export async function decodeBlockFiles(bytes: Uint8Array): Promise<BlockFileContent[]> {
  const text = (await gunzipAsync(bytes)).toString("utf8");
  const blocks: BlockFileContent[] = [];
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    if (line.startsWith("{")) {
      blocks.push({ header: parseHeader(line), lines: [] });
    } else {
      const last = blocks.at(-1);
      if (last === undefined) throw MindreaderErrors.decode("block file", "DMLOG line before any header");
      last.lines.push(line);
    }
  }
  return blocks;
}

function parseHeader(line: string): BlockFileHeader {
  try {
    return JSON.parse(line) as BlockFileHeader;
  } catch (error) {
    throw MindreaderErrors.decode("block file header", (error as Error).message, { cause: error });
  }
}
