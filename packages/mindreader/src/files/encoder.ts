import { ManageosError } from "@manageos/core";
import { MindreaderErrors } from "../errors.js";
import type { AssembledBlock } from "../reader/assembler.js";
import { blockFileHeaderLine } from "./content.js";
import type { PoolResult, WriterPool } from "./writer-pool.js";

/** One block to encode: its one-block file name in the batch's directory, undefined for its member's bytes only. */
export interface EncodeItem {
  readonly name: string | undefined;
  readonly block: AssembledBlock;
}

/**
 * A block encoded (its member's bytes, written as a one-block file when it had a name; `bstream` is the encoded
 * sf.bstream.v1.Block of the Firehose format), or why not: `blockError` when the block itself cannot be decoded
 * whole (it is never written), otherwise the work dir failed.
 */
export type EncodeResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly bstream?: Uint8Array }
  | { readonly ok: false; readonly error: Error; readonly blockError?: ManageosError };

/** Turns blocks into their files' bytes, in batches, off the reader's thread. */
export interface BlockEncoder {
  /** Starts what encoding needs (a thread and its modules), so the first block does not wait for it. */
  prepare(): Promise<void>;
  /** Encodes `items` (writing those with a name into `dir`); a result per item, in order. Never rejects. */
  encode(dir: string, items: readonly EncodeItem[]): Promise<EncodeResult[]>;
  close(): void;
}

/** The dmlog format's encoder: each block's hex payloads checked, then gzip of its header line and DMLOG lines. */
export class DmlogEncoder implements BlockEncoder {
  constructor(private readonly pool: WriterPool) {}

  async prepare(): Promise<void> {}

  async encode(dir: string, items: readonly EncodeItem[]): Promise<EncodeResult[]> {
    const files = items.map(({ name, block }) => ({ name, head: blockFileHeaderLine(block), body: block.bytes }));
    const results = await this.pool.write(dir, files);
    return items.map((item, i) => fromPool(results[i], item.block));
  }

  close(): void {}
}

/** A writer thread's result as the block files take it: a damaged block is a coded error of its own. */
export function fromPool(result: PoolResult | undefined, block: AssembledBlock): EncodeResult {
  if (result === undefined) return { ok: false, error: new Error("no answer from the writer thread") };
  if (result.ok) return result;
  const damaged = result.damaged;
  if (damaged === undefined) return result;
  const what = `block ${block.meta.num} ${damaged.what}`;
  const blockError = damaged.cut ? MindreaderErrors.blockIncomplete(what, damaged.reason) : MindreaderErrors.decode(what, damaged.reason);
  return { ok: false, error: blockError, blockError };
}

/** A coded error from another thread, as a ManageosError of this one. */
export function codedError(code: string, message: string): ManageosError {
  return new ManageosError(code, message);
}
