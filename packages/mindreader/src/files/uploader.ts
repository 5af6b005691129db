import { readFile } from "node:fs/promises";
import type { Logger, Store } from "@manageos/core";
import { MindreaderErrors } from "../errors.js";

/** One local file to copy to the block store. */
export interface UploadJob {
  readonly path: string;
  readonly key: string;
  /** The file's bytes when still in memory: uploaded without reading the file back. */
  readonly bytes?: Uint8Array;
}

/** How uploads behave when the store is slow or down. */
export interface UploaderOptions {
  /** Uploads in flight at once. */
  readonly concurrency: number;
  /** A put that takes longer is abandoned and retried. */
  readonly timeoutMs: number;
  /** First pause after a failure; doubles per consecutive failure up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** How one upload attempt ended. */
export const UPLOAD_RESULTS = ["ok", "error", "timeout"] as const;

/** What the uploader tells its owner. */
export interface UploaderDeps {
  readonly store: Store;
  readonly logger: Logger;
  onUploaded?(job: UploadJob): void;
  onAttempt?(result: (typeof UPLOAD_RESULTS)[number]): void;
  onPendingChange?(pending: number): void;
}

/** Copies local files to the store in order, a few at a time, backing off while the store fails; never blocks its callers. */
export class Uploader {
  private readonly queue: UploadJob[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private failures = 0;
  private resumeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly opts: UploaderOptions,
    private readonly deps: UploaderDeps,
  ) {}

  /** Files queued or in flight. */
  get pending(): number {
    return this.queue.length + this.active;
  }

  /** Queues a file; a key already queued is not queued twice. */
  enqueue(job: UploadJob): void {
    if (this.closed || this.queued.has(job.key)) return;
    this.queued.add(job.key);
    this.queue.push(job);
    this.changed();
    this.pump();
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops starting uploads; what is queued stays on disk for the next start. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private pump(): void {
    if (this.closed) return;
    const wait = this.resumeAt - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    while (this.active < this.opts.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      void this.run(job);
    }
  }

  private async run(job: UploadJob): Promise<void> {
    const result = await this.attempt(job);
    this.active--;
    this.deps.onAttempt?.(result === "missing" ? "error" : result);
    if (result === "missing") {
      this.queued.delete(job.key);
      this.deps.logger.error({ key: job.key, path: job.path }, "block file vanished before its upload");
    } else if (result === "ok") {
      this.failures = 0;
      this.queued.delete(job.key);
      this.deps.onUploaded?.(job);
    } else {
      // Back to the front: order is kept and the store gets a pause before the next try.
      this.queue.unshift(job);
      this.failures++;
      this.resumeAt = Date.now() + Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (this.failures - 1));
    }
    this.changed();
    this.pump();
  }

  private async attempt(job: UploadJob): Promise<"ok" | "error" | "timeout" | "missing"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.opts.timeoutMs);
    });
    try {
      const bytes = job.bytes === undefined ? readFile(job.path) : Promise.resolve(job.bytes);
      const put = bytes.then((body) => this.deps.store.put(job.key, body));
      // A hung put is abandoned, not awaited: its late result does not matter, puts are idempotent.
      put.catch(() => undefined);
      const result = await Promise.race([put.then(() => "ok" as const), timeout]);
      if (result === "timeout") this.warn(job, `no answer within ${this.opts.timeoutMs} ms`);
      return result;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
      this.warn(job, (error as Error).message, error);
      return "error";
    } finally {
      clearTimeout(timer);
    }
  }

  private warn(job: UploadJob, reason: string, cause?: unknown): void {
    const err = MindreaderErrors.upload(job.key, reason, { cause });
    this.deps.logger.warn({ err, key: job.key, failures: this.failures + 1 }, "block store upload failed, will retry");
  }

  private changed(): void {
    this.deps.onPendingChange?.(this.pending);
    if (this.pending === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
