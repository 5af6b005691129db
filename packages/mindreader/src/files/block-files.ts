import { EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { ManageosError } from "@manageos/core";
import type { BlockMeta } from "../codec/block-meta.js";
import { MindreaderErrors } from "../errors.js";
import type { AssembledBlock } from "../reader/assembler.js";
import { FirehoseEncoder } from "../firehose/encoder.js";
import { BacklogAlarm, reportBacklog } from "./backlog.js";
import {
  type BlockFilesDeps,
  type BlockFilesEvents,
  type BlockFilesOptions,
  DEFAULT_MAX_PENDING_WRITE_BYTES,
  DEFAULT_UPLOAD,
  defaultDecoderThreads,
  defaultWriterThreads,
  validateBlockFilesOptions,
} from "./block-files-options.js";
import { BundleParts, type PartMember } from "./bundle-parts.js";
import { type BundleEntry, type BundlePlan, Bundler } from "./bundler.js";
import { type BlockEncoder, DmlogEncoder, type EncodeResult } from "./encoder.js";
import { type BlockFileFormat, DMLOG_FORMAT } from "./format.js";
import { KeptBytes } from "./kept-bytes.js";
import { removeTempFiles, writeLocalFile } from "./local-file.js";
import { BUNDLE_SIZE } from "./naming.js";
import { type UploadJob, Uploader } from "./uploader.js";
import { intactFiles, recoverParts } from "./work-dir.js";

export {
  type BlockFilesDeps,
  type BlockFilesEvents,
  type BlockFilesOptions,
  DEFAULT_MAX_PENDING_WRITE_BYTES,
  defaultDecoderThreads,
  defaultWriterThreads,
} from "./block-files-options.js";
import { WriterPool } from "./writer-pool.js";

// A block handed over and not yet written; `direct` ones go into their range's part, not a file of their own.
interface QueuedWrite {
  readonly meta: BlockMeta;
  readonly name: string;
  readonly direct: boolean;
  readonly block: AssembledBlock;
  readonly resolve: (written: boolean) => void;
}

// A block compressed by a writer thread, on its way into its range's part; `index` is its place in the batch.
interface DirectWrite {
  readonly item: SentWrite;
  readonly bytes: Buffer;
  readonly index: number;
}

// A block sent to a writer thread: its bytes are held by the thread, `size` of them, until its answer is handled.
type SentWrite = Omit<QueuedWrite, "block"> & { readonly size: number };

// A bundle written: its bytes when they are in memory.
type WrittenBundle = { readonly ok: true; readonly bytes: Buffer | undefined } | { readonly ok: false; readonly error: Error };

// Blocks sent to a writer thread at once, and the text a batch stops growing at: small enough for both threads to
// get work, large enough that a message carries many small blocks.
const WRITE_BATCH = 32;
const WRITE_BATCH_BYTES = 512 * 1024;
// Batches handed to the threads and not yet answered; more wait here, in order.
const BATCHES_IN_FLIGHT_PER_THREAD = 2;
// Compressed files kept in memory for their upload and their bundle (see KeptBytes).
const KEEP_BYTES = 64 * 1024 * 1024;
/**
 * One-block files and bundles: written to the local work dir in order, then uploaded by a bounded uploader.
 * Nothing here ever waits on the store on behalf of the reader; when the store is slow or down files pile up
 * locally (metric, warn at half of `maxPendingFiles`, error at it) and keep being written: the disk is the buffer.
 * Blocks not yet on disk are held in memory; past `maxPendingWriteBytes` of them, `room()` makes the reader wait
 * for the writer threads.
 */
export class BlockFiles extends EventEmitter<BlockFilesEvents> {
  private readonly blocksDir: string;
  private readonly bundlesDir: string;
  private readonly uploader: Uploader;
  private readonly bundler: Bundler;
  private readonly bundleSize: number;
  private readonly alarm: BacklogAlarm;
  // Uploaded one-block files still in the work dir (their range is not bundled yet), with their block numbers.
  private readonly uploaded = new Map<string, number>();
  private readonly queue: QueuedWrite[] = [];
  private readonly pool: WriterPool;
  private readonly encoder: BlockEncoder;
  private readonly format: BlockFileFormat;
  private readonly threads: number;
  // Batches are answered by any thread, and handled strictly in block order along this chain.
  private tail: Promise<void> = Promise.resolve();
  // Batches sent and not yet handled (answered or not); sent and not yet answered.
  private batchesPending = 0;
  private batchesSent = 0;
  private dispatchScheduled = false;
  private writesQueued = 0;
  private writeBytesQueued = 0;
  private readonly maxPendingWriteBytes: number;
  // The reader waiting for room, resolved once the blocks not yet written are back under the bound.
  private roomWaiter: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;
  // One-block files below this are in a bundle (or in a range that gets none) and may go once uploaded. Not the
  // bundler's next base: that moves past every range it hands over at once, before their bundles are written.
  private bundledBelow = 0;
  private removals: string[] = [];
  private removing: Promise<void> = Promise.resolve();
  private readonly kept = new KeptBytes(KEEP_BYTES);
  private readonly oneBlockPrefix: string;
  private readonly bundlePrefix: string;
  private readonly parts: BundleParts;
  private readonly now: () => number;
  private catchingUp: boolean;

  constructor(
    private readonly opts: BlockFilesOptions,
    private readonly deps: BlockFilesDeps,
  ) {
    super();
    validateBlockFilesOptions(opts);
    this.catchingUp = (opts.catchUpBlockAgeMs ?? 0) > 0;
    deps.metrics?.catchingUp.set(this.catchingUp ? 1 : 0);
    this.now = deps.now ?? Date.now;
    this.maxPendingWriteBytes = opts.maxPendingWriteBytes ?? DEFAULT_MAX_PENDING_WRITE_BYTES;
    this.threads = opts.writerThreads ?? defaultWriterThreads(availableParallelism());
    this.pool = new WriterPool(this.threads);
    this.format = opts.format ?? DMLOG_FORMAT;
    this.encoder =
      this.format.encoding === "zstd"
        ? new FirehoseEncoder(this.pool, { chain: opts.chain, threads: opts.decoderThreads ?? defaultDecoderThreads(this.threads) })
        : new DmlogEncoder(this.pool);
    this.bundleSize = opts.bundleSize ?? BUNDLE_SIZE;
    this.bundler = new Bundler(this.bundleSize);
    this.blocksDir = join(opts.workDir, "blocks");
    this.bundlesDir = join(opts.workDir, "bundles");
    this.parts = new BundleParts(this.bundlesDir, this.format.fileHead, this.format.isIntact);
    this.oneBlockPrefix = opts.oneBlockPrefix ?? this.format.oneBlockPrefix;
    this.bundlePrefix = opts.bundlePrefix ?? this.format.bundlePrefix;
    this.alarm = new BacklogAlarm(opts.maxPendingFiles);
    this.uploader = new Uploader(
      { ...DEFAULT_UPLOAD, ...opts.upload },
      {
        store: deps.store,
        logger: deps.logger,
        onUploaded: (job) => this.onUploaded(job),
        onAttempt: (result) => deps.metrics?.uploadsTotal.inc({ result }),
        onPendingChange: (pending) => this.onPending(pending),
      },
    );
  }

  /**
   * Creates the work dir and queues what a previous run left there (files written but not uploaded). A file a
   * machine crash left incomplete is moved to `<workDir>/corrupt/` with a warning instead of being uploaded.
   */
  async start(): Promise<void> {
    await mkdir(this.blocksDir, { recursive: true });
    await mkdir(this.bundlesDir, { recursive: true });
    await removeTempFiles(this.blocksDir);
    await removeTempFiles(this.bundlesDir);
    await this.encoder.prepare();
    const found = { dir: this.opts.workDir, format: this.format, logger: this.deps.logger };
    const blocks = await intactFiles(this.blocksDir, (name) => this.format.parseOneBlockFileName(name) !== undefined, found);
    const entries: BundleEntry[] = [];
    for (const name of blocks) {
      entries.push({ ...this.format.parseOneBlockFileName(name)!, name });
      this.uploader.enqueue({ path: join(this.blocksDir, name), key: this.oneBlockPrefix + name });
    }
    const members = await recoverParts(this.parts, this.deps.logger);
    for (const member of members) {
      const parsed = this.format.parseOneBlockFileName(member.name);
      if (parsed !== undefined) entries.push({ ...parsed, name: member.name, member });
    }
    // The bundler takes the last block added for the head.
    for (const entry of entries.sort((a, b) => a.num - b.num)) this.bundler.add(entry);
    for (const name of await intactFiles(this.bundlesDir, (n) => this.format.isBundleFileName(n), found)) {
      this.uploader.enqueue({ path: join(this.bundlesDir, name), key: this.bundlePrefix + name });
    }
    if (entries.length > 0) {
      this.deps.logger.info({ files: blocks.length, inParts: members.length }, "resuming block files left in the work dir");
    }
  }

  /** Threads compressing and writing block files. */
  get writerThreads(): number {
    return this.threads;
  }

  /** Files written and not yet in the store. */
  get pendingUploads(): number {
    return this.uploader.pending;
  }

  /** Blocks handed over and not yet written locally. */
  get pendingWrites(): number {
    return this.writesQueued;
  }

  /** Bytes of the blocks handed over and not yet written locally. */
  get pendingWriteBytes(): number {
    return this.writeBytesQueued;
  }

  /**
   * Undefined while the blocks handed over and not yet written locally hold at most `maxPendingWriteBytes`;
   * otherwise a promise that resolves once the writer threads brought them back under it. One promise per wait.
   */
  room(): Promise<void> | undefined {
    if (this.writeBytesQueued <= this.maxPendingWriteBytes) return undefined;
    this.roomWaiter ??= Promise.withResolvers<void>();
    return this.roomWaiter.promise;
  }

  /** Queues a block for writing; resolves true once its file is in the work dir, false if it could not be written. */
  write(block: AssembledBlock): Promise<boolean> {
    this.writesQueued++;
    this.writeBytesQueued += block.bytes.length;
    this.deps.metrics?.pendingWriteBytes.set(this.writeBytesQueued);
    const name = this.format.oneBlockFileName(block.meta, this.opts.suffix);
    const direct = this.catchingUp && this.stillCatchingUp(block.meta);
    return new Promise<boolean>((resolve) => {
      this.queue.push({ meta: block.meta, name, direct, block, resolve });
      if (this.queue.length >= WRITE_BATCH) this.dispatch();
      else this.scheduleDispatch();
    });
  }

  // True while blocks are older than catchUpBlockAgeMs; the first younger one ends catching up for the run.
  private stillCatchingUp(meta: BlockMeta): boolean {
    const ageMs = this.now() - Date.parse(meta.timestamp);
    if (ageMs > this.opts.catchUpBlockAgeMs!) return true;
    this.catchingUp = false;
    this.deps.metrics?.catchingUp.set(0);
    this.deps.logger.info({ num: meta.num, ageSeconds: Math.round(ageMs / 1000) }, "caught up: one-block files from this block on");
    return false;
  }

  // The rest of the output being read usually brings more blocks: send them together, once this turn is over.
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  /** Resolves once every block handed over is written locally. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.batchesPending > 0) {
      this.dispatch();
      // Blocks still queued means batches are in flight, and the tail waits for them: this never spins.
      await this.tail;
    }
  }

  /** Resolves once every file written so far is in the store, and those done with are removed locally. */
  async drained(): Promise<void> {
    await this.flush();
    await this.uploader.drained();
    // Files done with (uploaded, and bundled or a bundle) are gone from the work dir too.
    await this.removing;
  }

  /** Stops uploading; files left are picked up by the next `start()`. Blocks handed over are still written. */
  close(): void {
    this.uploader.close();
    this.encoder.close();
    this.pool.close();
    void this.parts.close();
  }

  // Sends queued blocks to the writer threads in batches, while few enough batches are being worked on.
  private dispatch(): void {
    while (this.queue.length > 0 && this.batchesSent < this.threads * BATCHES_IN_FLIGHT_PER_THREAD) {
      let count = 0;
      let bytes = 0;
      while (count < this.queue.length && count < WRITE_BATCH && (count === 0 || bytes < WRITE_BATCH_BYTES)) {
        bytes += this.queue[count]!.block.bytes.length;
        count++;
      }
      const files = this.queue.splice(0, count);
      const results = this.encoder.encode(
        this.blocksDir,
        files.map(({ name, direct, block }) => ({ name: direct ? undefined : name, block })),
      );
      const batch: SentWrite[] = files.map(({ meta, name, direct, block, resolve }) => ({
        meta,
        name,
        direct,
        size: block.bytes.length,
        resolve,
      }));
      this.batchesSent++;
      // A thread is free again: give it what queued meanwhile, whatever the order batches are handled in.
      void results.then(() => {
        this.batchesSent--;
        this.scheduleDispatch();
      });
      this.batchesPending++;
      this.tail = this.tail.then(async () => {
        try {
          await this.written(batch, await results);
        } catch (error) {
          this.deps.logger.error({ err: error }, "block file bookkeeping failed");
        } finally {
          this.batchesPending--;
        }
      });
    }
  }

  // A batch is compressed (and its one-block files written): in block order, the blocks caught up go into their
  // parts, then the events, uploads and bundle bookkeeping; then bundles; then the callers.
  private async written(batch: readonly SentWrite[], results: readonly EncodeResult[]): Promise<void> {
    const ok: boolean[] = [];
    for (const item of batch) {
      this.writesQueued--;
      this.writeBytesQueued -= item.size;
    }
    this.onWritesDone();
    let run: DirectWrite[] = [];
    for (const [i, item] of batch.entries()) {
      const result = results[i];
      if (run.length > 0 && !(item.direct && this.baseOf(item.meta.num) === this.baseOf(run[0]!.item.meta.num))) {
        await this.appendRun(run, ok);
        run = [];
      }
      const path = join(this.blocksDir, item.name);
      if (result?.ok === false && result.blockError !== undefined) {
        this.blockFailed(item.meta, result.blockError);
        ok[i] = false;
      } else if (result === undefined || !result.ok) {
        this.failed(path, result?.error ?? new Error("no answer from the writer thread"));
        ok[i] = false;
      } else if (item.direct) {
        if (result.bstream !== undefined) this.emit("decoded", item.meta, result.bstream);
        run.push({ item, bytes: result.bytes, index: i });
      } else {
        if (result.bstream !== undefined) this.emit("decoded", item.meta, result.bstream);
        this.oneBlockFile(item, result.bytes);
        ok[i] = true;
      }
    }
    if (run.length > 0) await this.appendRun(run, ok);
    for (const plan of this.bundler.take()) await this.writeBundle(plan);
    for (const [i, item] of batch.entries()) item.resolve(ok[i] === true);
  }

  // A one-block file is in the work dir: its event, its upload, the bundler.
  private oneBlockFile(item: SentWrite, bytes: Buffer): void {
    const path = join(this.blocksDir, item.name);
    this.deps.metrics?.bytesWrittenTotal.inc(bytes.length);
    this.emit("written", item.meta, item.name);
    // The bytes kept and uploaded are the whole file: the format's head, then the block's member.
    const file = this.format.fileHead.length === 0 ? bytes : Buffer.concat([this.format.fileHead, bytes]);
    this.uploader.enqueue({ path, key: this.oneBlockPrefix + item.name, bytes: this.kept.keep(path, file) });
    this.bundler.add({ ...this.format.parseOneBlockFileName(item.name)!, name: item.name });
  }

  // Blocks caught up, all of one range, appended to its part in one write. A range already bundled (nodeos printed
  // an old block again) gets one-block files instead, as outside catching up.
  private async appendRun(run: readonly DirectWrite[], ok: boolean[]): Promise<void> {
    const base = this.baseOf(run[0]!.item.meta.num);
    const next = this.bundler.nextBase;
    if (next !== undefined && base < next) {
      for (const { item, bytes, index } of run) {
        const path = join(this.blocksDir, item.name);
        try {
          await writeLocalFile(path, this.format.fileHead.length === 0 ? bytes : Buffer.concat([this.format.fileHead, bytes]));
          this.oneBlockFile(item, bytes);
          ok[index] = true;
        } catch (error) {
          this.failed(path, error);
          ok[index] = false;
        }
      }
      return;
    }
    const bundle = this.format.bundleFileName(base);
    let members: PartMember[];
    try {
      members = await this.parts.append(
        bundle,
        run.map(({ item, bytes }) => ({ name: item.name, bytes })),
      );
    } catch (error) {
      for (const { index } of run) {
        this.failed(this.parts.path(bundle), error);
        ok[index] = false;
      }
      return;
    }
    for (const [j, { item, bytes, index }] of run.entries()) {
      this.deps.metrics?.bytesWrittenTotal.inc(bytes.length);
      this.emit("written", item.meta, item.name);
      this.bundler.add({ ...this.format.parseOneBlockFileName(item.name)!, name: item.name, member: members[j] });
      ok[index] = true;
    }
  }

  private baseOf(num: number): number {
    return Math.floor(num / this.bundleSize) * this.bundleSize;
  }

  // Blocks left the writer threads: the gauge, and the reader waiting for room once back under the bound.
  private onWritesDone(): void {
    this.deps.metrics?.pendingWriteBytes.set(this.writeBytesQueued);
    const waiter = this.roomWaiter;
    if (waiter === undefined || this.writeBytesQueued > this.maxPendingWriteBytes) return;
    this.roomWaiter = undefined;
    waiter.resolve();
  }

  // A bundle is the format's file head, then the one-block files' members back to back.
  private async writeBundle(plan: BundlePlan): Promise<void> {
    const name = this.format.bundleFileName(plan.base);
    if (plan.entries.length === 0) {
      this.deps.logger.info({ base: plan.base }, "no bundle for a range read only in part (started inside it)");
      await this.splitPart(name);
    } else {
      const path = join(this.bundlesDir, name);
      const result = await this.bundleFile(name, plan.entries, path);
      if (result.ok) {
        this.deps.metrics?.bundlesTotal.inc();
        this.emit("bundle", plan.base, name);
        const bytes = result.bytes === undefined ? undefined : this.kept.keep(path, result.bytes);
        this.uploader.enqueue({ path, key: this.bundlePrefix + name, bytes });
      } else {
        this.failed(path, result.error);
      }
    }
    this.bundledBelow = Math.max(this.bundledBelow, plan.base + this.bundleSize);
    await this.prune();
  }

  // A part holding exactly the range's blocks, in order (caught up without a fork), becomes the bundle by a rename.
  // Otherwise the blocks' bytes are copied from their files and the part, which then goes (with the blocks of
  // forks nodeos left, if any).
  private async bundleFile(name: string, entries: readonly BundleEntry[], path: string): Promise<WrittenBundle> {
    const members = this.parts.membersOf(name);
    if (members.length === entries.length && entries.every((entry, i) => entry.member === members[i])) {
      try {
        await this.parts.seal(name, path);
        return { ok: true, bytes: undefined };
      } catch (error) {
        return { ok: false, error: error as Error };
      }
    }
    const head = this.format.fileHead;
    const result = await this.pool.concat(
      entries.map((entry) => entry.member ?? { path: join(this.blocksDir, entry.name), offset: head.length }),
      path,
      head,
    );
    if (!result.ok) return result;
    this.deps.metrics?.bytesWrittenTotal.inc(result.bytes.length);
    if (members.length > 0) await this.parts.discard(name);
    return result;
  }

  // The blocks of a range that gets no bundle, caught up into its part, become one-block files and are uploaded as
  // such, as they would have been outside catching up; the part goes once they all are.
  private async splitPart(name: string): Promise<void> {
    const members = this.parts.membersOf(name);
    if (members.length === 0) return;
    const results = await this.pool.split(this.parts.path(name), this.blocksDir, members, this.format.fileHead);
    for (const [i, member] of members.entries()) {
      const path = join(this.blocksDir, member.name);
      const result = results[i];
      if (result?.ok) this.uploader.enqueue({ path, key: this.oneBlockPrefix + member.name });
      else this.failed(path, result?.error ?? new Error("no answer from the writer thread"));
    }
    if (results.every((result) => result.ok)) await this.parts.discard(name);
  }

  // One-block files below the next range are done with once uploaded.
  private async prune(): Promise<void> {
    const below = this.bundledBelow;
    const paths: string[] = [];
    for (const [name, num] of this.uploaded) {
      if (num < below) {
        this.uploaded.delete(name);
        const path = join(this.blocksDir, name);
        this.kept.release(path);
        paths.push(path);
      }
    }
    await this.pool.remove(paths);
  }

  private onUploaded(job: UploadJob): void {
    this.emit("uploaded", job.key);
    if (job.key.startsWith(this.bundlePrefix) && this.format.isBundleFileName(job.key.slice(this.bundlePrefix.length))) {
      this.kept.release(job.path);
      this.removeLater(job.path);
      return;
    }
    const name = job.key.slice(this.oneBlockPrefix.length);
    const parsed = this.format.parseOneBlockFileName(name);
    if (parsed !== undefined && parsed.num < this.bundledBelow) {
      this.kept.release(job.path);
      this.removeLater(job.path);
    } else if (parsed !== undefined) {
      this.uploaded.set(name, parsed.num);
    }
  }

  // Files done with are removed by a writer thread, many per message, once this turn is over.
  private removeLater(path: string): void {
    this.removals.push(path);
    if (this.removals.length > 1) return;
    const removed = new Promise<void>((resolve) => {
      setImmediate(() => {
        const paths = this.removals;
        this.removals = [];
        void this.pool.remove(paths).then(resolve);
      });
    });
    this.removing = Promise.all([this.removing, removed]).then(() => undefined);
  }

  private onPending(pending: number): void {
    const level = reportBacklog(this.alarm, pending, this.opts.maxPendingFiles, this.deps);
    if (level !== undefined) this.emit("backlog", level, pending);
  }

  // A block that cannot be decoded whole: never a file; the reader is told (the daemon stops it).
  private blockFailed(meta: BlockMeta, err: ManageosError): void {
    this.deps.metrics?.blockErrorsTotal.inc();
    this.deps.logger.error({ err, num: meta.num }, "block cannot be decoded whole: no file written for it");
    this.emit("blockError", err, meta);
  }

  private failed(path: string, error: unknown): void {
    const err = MindreaderErrors.blockFileWrite(path, (error as Error).message, { cause: error });
    this.deps.metrics?.writeErrorsTotal.inc();
    this.deps.logger.error({ err }, "cannot write a block file to the work dir");
    this.emit("writeError", err);
  }
}
