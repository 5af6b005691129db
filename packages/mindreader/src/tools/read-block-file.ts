import { promisify } from "node:util";
import { zstdDecompress } from "node:zlib";
import { MindreaderErrors } from "../errors.js";
import { readBstreamMeta } from "../firehose/bstream-meta.js";
import { ANTELOPE_CONTENT_TYPE, readDbin } from "../firehose/dbin.js";
import { bstreamBlockToJson } from "../firehose/decode/index.js";
import { decodeBlockFiles } from "../files/content.js";

const unzstd = promisify(zstdDecompress);
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC = [0x1f, 0x8b];

/** One block read from a one-block file or a bundle of either format: how it links, and its JSON. */
export interface FileBlock {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly lib: number;
  /** Firehose: the protobuf JSON mapping of the sf.bstream.v1.Block. dmlog: the header and the DMLOG lines. */
  json(): unknown;
}

/** The blocks of a block file (one-block file or bundle, Firehose or dmlog format, told apart by their bytes). */
export async function readBlockFile(bytes: Uint8Array, what: string): Promise<FileBlock[]> {
  const starts = (magic: number[]) => magic.every((byte, i) => bytes[i] === byte);
  if (starts(ZSTD_MAGIC)) return readFirehoseFile(bytes, what);
  if (starts(GZIP_MAGIC)) {
    const blocks = await decodeBlockFiles(bytes).catch((error: unknown) => {
      throw MindreaderErrors.decode(what, (error as Error).message, { cause: error });
    });
    return blocks.map(({ header, lines }) => ({
      num: header.num,
      id: header.id,
      previous: header.previous,
      lib: header.lib,
      json: () => ({ ...header, lines }),
    }));
  }
  throw MindreaderErrors.decode(what, "neither zstd (.dbin.zst) nor gzip (.dmblock.gz, .dmbundle.gz)");
}

async function readFirehoseFile(bytes: Uint8Array, what: string): Promise<FileBlock[]> {
  let plain: Buffer;
  try {
    plain = await unzstd(bytes);
  } catch (error) {
    throw MindreaderErrors.blockIncomplete(what, `zstd: ${(error as Error).message}`, { cause: error });
  }
  const file = readDbin(plain, what);
  if (file.contentType !== ANTELOPE_CONTENT_TYPE) {
    throw MindreaderErrors.decode(what, `content type ${JSON.stringify(file.contentType)}, want ${ANTELOPE_CONTENT_TYPE}`);
  }
  return file.messages.map((message, i) => {
    const meta = readBstreamMeta(message, `${what} block ${i + 1}`);
    return {
      num: meta.number,
      id: meta.id,
      previous: meta.parentId,
      lib: meta.libNum,
      json: () => bstreamBlockToJson(message),
    };
  });
}
