import type { Logger, ManageosError, Store } from "@manageos/core";
import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import type { MindreaderMetrics } from "../metrics/metrics.js";
import type { BacklogLevel } from "./backlog.js";
import type { BlockFileFormat } from "./format.js";
import { isValidSuffix } from "./naming.js";
import type { UploaderOptions } from "./uploader.js";

/** Where block files go, in which format, how much may wait for the writer threads, and how much for the store. */
export interface BlockFilesOptions {
  /** The files' format. Default the dmlog format (FIREHOSE_FORMAT for Firehose's files). */
  readonly format?: BlockFileFormat;
  /** The node's deep-mind flavour, for the Firehose decoder; by default read off the output. */
  readonly chain?: "leap" | "spring";
  /** Local work dir: `blocks/` (one-block files) and `bundles/` live under it. */
  readonly workDir: string;
  /** Short writer id ending every one-block file name (letters, digits, `_`, `.`). */
  readonly suffix: string;
  /** Files waiting for upload before the error alarm; writing goes on beyond it. */
  readonly maxPendingFiles: number;
  /** Store key prefix of one-block files. Default `one-blocks/` (both formats). */
  readonly oneBlockPrefix?: string;
  /** Store key prefix of bundles. Default the format's: `bundles/` (dmlog), `merged-blocks/` (Firehose). */
  readonly bundlePrefix?: string;
  /** Blocks per bundle. Default 100. */
  readonly bundleSize?: number;
  readonly upload?: Partial<UploaderOptions>;
  /** Threads compressing and writing block files. Default: `defaultWriterThreads(availableParallelism())`. */
  readonly writerThreads?: number;
  /**
   * Threads decoding blocks to Firehose (each reads every block for the contracts' ABIs, decodes its share). Default:
   * `defaultDecoderThreads(writerThreads)`.
   */
  readonly decoderThreads?: number;
  /**
   * Bytes of block text handed over and not yet written to the work dir past which `room()` asks the reader to
   * wait. Default 64 MiB. The upload backlog never counts: it is on disk.
   */
  readonly maxPendingWriteBytes?: number;
  /**
   * Catching up: while the blocks read are older than this (block time against the clock), each goes straight into
   * its range's bundle (appended to `<bundle>.part` in `bundles/`), not into a one-block file; the first younger
   * block ends catching up for the run. Undefined or 0: never (one-block files for every block).
   */
  readonly catchUpBlockAgeMs?: number;
}

/** What the block files need from the app. */
export interface BlockFilesDeps {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics?: MindreaderMetrics;
  /** Injected clock, epoch milliseconds. */
  readonly now?: () => number;
}

/** Events of the block files. */
export interface BlockFilesEvents {
  /**
   * A block is in the work dir: its one-block file, or (catching up) its member of its range's part, `name` being
   * the one-block file it stands for.
   */
  written: [meta: BlockMeta, name: string];
  /** A bundle is in the work dir. */
  bundle: [base: number, name: string];
  /** A file reached the block store. */
  uploaded: [key: string];
  /** The backlog crossed a threshold: `warn` at half of maxPendingFiles, `full` at it, `ok` when back under half. */
  backlog: [level: BacklogLevel, pending: number];
  writeError: [error: ManageosError];
  /** A block that cannot be decoded whole (a hex payload cut or not hex, a structure that does not decode): no file. */
  blockError: [error: ManageosError, meta: BlockMeta];
  /** A block decoded to Firehose (in block order): its encoded sf.bstream.v1.Block. */
  decoded: [meta: BlockMeta, bstream: Uint8Array];
}

/**
 * Writer threads for `cpus` CPUs: all but two (left to nodeos and the reader), at least 2 and at most 8, never more
 * than the CPUs. Compression is most of a catch-up's cost, so its pace grows with the threads.
 */
export function defaultWriterThreads(cpus: number): number {
  return Math.min(cpus, Math.max(2, Math.min(8, cpus - 2)));
}

/**
 * Decoding threads beside `writerThreads` writer threads: half as many, at least one (one on a two-CPU machine,
 * where two were measured slower than one: each also reads the other's blocks, and the CPUs are already full).
 */
export function defaultDecoderThreads(writerThreads: number): number {
  return Math.max(1, Math.floor(writerThreads / 2));
}

/** Default bound of the block text waiting for the writer threads. */
export const DEFAULT_MAX_PENDING_WRITE_BYTES = 64 * 1024 * 1024;

/** Uploads: 4 at a time, 30 s per put, backing off from 500 ms to 30 s. */
export const DEFAULT_UPLOAD: UploaderOptions = { concurrency: 4, timeoutMs: 30_000, retryBaseMs: 500, retryMaxMs: 30_000 };

/** Refuses options BlockFiles cannot honour (MDR_ERR_OPTIONS). */
export function validateBlockFilesOptions(opts: BlockFilesOptions): void {
  if (!isValidSuffix(opts.suffix)) throw MindreaderErrors.options(`suffix ${JSON.stringify(opts.suffix)}`);
  if (!(opts.maxPendingFiles >= 2)) throw MindreaderErrors.options("maxPendingFiles must be at least 2");
  if (opts.bundleSize !== undefined && !(Number.isInteger(opts.bundleSize) && opts.bundleSize >= 1)) {
    throw MindreaderErrors.options("bundleSize must be a positive integer");
  }
  if (opts.writerThreads !== undefined && !(Number.isInteger(opts.writerThreads) && opts.writerThreads >= 1)) {
    throw MindreaderErrors.options("writerThreads must be a positive integer");
  }
  if (opts.decoderThreads !== undefined && !(Number.isInteger(opts.decoderThreads) && opts.decoderThreads >= 1)) {
    throw MindreaderErrors.options("decoderThreads must be a positive integer");
  }
  if (opts.maxPendingWriteBytes !== undefined && !(Number.isSafeInteger(opts.maxPendingWriteBytes) && opts.maxPendingWriteBytes >= 0)) {
    throw MindreaderErrors.options("maxPendingWriteBytes must be a non-negative integer");
  }
  if (opts.catchUpBlockAgeMs !== undefined && !(Number.isSafeInteger(opts.catchUpBlockAgeMs) && opts.catchUpBlockAgeMs >= 0)) {
    throw MindreaderErrors.options("catchUpBlockAgeMs must be a non-negative integer");
  }
}
