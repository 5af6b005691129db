import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import { codedError, type BlockEncoder, type EncodeItem, type EncodeResult } from "../files/encoder.js";
import type { WriterPool, ZstdFile } from "../files/writer-pool.js";
import { type DecodeResult, DecoderThread } from "./decoder-thread.js";
import { FIREHOSE_FORMAT } from "./format.js";

/**
 * The Firehose format's encoder: blocks decoded in order by the decoding thread, then each block's dbin frame
 * compressed with zstd and written by the writer threads. A block that does not decode whole, or whose decoded
 * header differs from what the reader read, is a coded error and no file.
 */
export class FirehoseEncoder implements BlockEncoder {
  private readonly decoder: DecoderThread;
  // Batches decode in parallel, but are compressed and written in order, each once those before it decoded: after a
  // block that fails, no later block is written, whichever thread decoded it.
  private decodedTail: Promise<void> = Promise.resolve();
  private broken = false;

  /** `threads` decoding threads (default 1). */
  constructor(
    private readonly pool: WriterPool,
    opts: { readonly chain?: "leap" | "spring"; readonly threads?: number } = {},
  ) {
    this.decoder = new DecoderThread(opts);
  }

  async prepare(): Promise<void> {
    await this.decoder.decode([]);
  }

  async encode(dir: string, items: readonly EncodeItem[]): Promise<EncodeResult[]> {
    const decoding = this.decoder.decode(items.map(({ block }) => ({ bytes: block.bytes, context: block.context })));
    const before = this.decodedTail;
    const ordered = before.then(() => decoding);
    this.decodedTail = ordered.then(() => undefined);
    const decoded = await ordered;
    const results: EncodeResult[] = [];
    const files: ZstdFile[] = [];
    const at: number[] = [];
    for (const [i, item] of items.entries()) {
      const result = this.broken ? skipped(item.block.meta) : checked(decoded[i], item.block.meta);
      if (!result.ok) this.broken = true;
      if (result.ok) {
        files.push({ name: item.name, frame: result.frame });
        at.push(i);
      } else {
        results[i] = result.error;
      }
    }
    const written = files.length === 0 ? [] : await this.pool.zstd(dir, FIREHOSE_FORMAT.fileHead, files);
    for (const [j, i] of at.entries()) {
      const result = written[j];
      if (result === undefined) results[i] = { ok: false, error: new Error("no answer from the writer thread") };
      // The frame is the block's length then its bytes: the block itself, for the live stream.
      else results[i] = result.ok ? { ok: true, bytes: result.bytes, bstream: (result.input ?? files[j]!.frame).subarray(4) } : result;
    }
    return results;
  }

  close(): void {
    this.decoder.close();
  }
}

// A decoded block whose header is the one the reader read, else the block's error.
function checked(result: DecodeResult | undefined, meta: BlockMeta): { ok: true; frame: Uint8Array } | { ok: false; error: EncodeResult } {
  if (result === undefined) return failed(codedError("MDR_ERR_DECODE", "no answer from the decoding thread"));
  if (!result.ok) return failed(codedError(result.code, `block ${meta.num}: ${result.message}`));
  if (result.number !== meta.num || result.id !== meta.id || result.parentId !== meta.previous || result.libNum !== meta.lib) {
    const got = `#${result.number} ${result.id} (previous ${result.parentId}, lib ${result.libNum})`;
    return failed(
      MindreaderErrors.decode(`block ${meta.num}`, `decoded as ${got}, read as ${meta.id} (previous ${meta.previous}, lib ${meta.lib})`),
    );
  }
  return { ok: true, frame: result.frame };
}

function skipped(meta: BlockMeta): { ok: false; error: EncodeResult } {
  return failed(codedError("MDR_ERR_DECODE", `block ${meta.num}: not decoded, an earlier block could not be`));
}

function failed(error: ReturnType<typeof codedError>): { ok: false; error: EncodeResult } {
  return { ok: false, error: { ok: false, error, blockError: error } };
}
