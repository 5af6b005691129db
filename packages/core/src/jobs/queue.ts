import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import type { Logger } from "pino";
import { errorJson, isManageosError } from "../errors/manageos-error.js";
import { atomicWriteJson, readJsonFile } from "../fs/atomic-write.js";
import { JobErrors } from "./errors.js";
import { isFinished, type JobContext, type JobError, type JobRecord, type JobRunner } from "./job.js";

/** Options of the queue. */
export interface JobQueueOptions {
  /** Jobs persist to `<stateDir>/jobs.json`. */
  readonly stateDir: string;
  /** How many finished jobs are kept. */
  readonly keep?: number;
  /** Log lines kept per job. */
  readonly keepLog?: number;
  /** Progress is persisted at most this often, in ms. */
  readonly persistEvery?: number;
}

interface Pending {
  readonly record: JobRecord;
  readonly run: JobRunner;
  readonly abort: AbortController;
  readonly done: Promise<JobRecord>;
  readonly settle: (record: JobRecord) => void;
}

/** Emitted per job id: `update` with the record after each change. */
export type JobEvents = { update: [JobRecord] };

/** The single command queue: one mutating job runs at a time, each with an id, progress, a log and a persisted record. */
export class JobQueue {
  readonly #opts: Required<JobQueueOptions>;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, JobRecord>();
  readonly #waiting: Pending[] = [];
  readonly #events = new EventEmitter<Record<string, [JobRecord]>>();
  #running: Pending | undefined;
  #closed = false;
  #lastPersist = 0;
  #persistTimer: NodeJS.Timeout | undefined;
  #persisting: Promise<void> = Promise.resolve();

  constructor(opts: JobQueueOptions, deps: { logger: Logger }) {
    this.#opts = { keep: 100, keepLog: 200, persistEvery: 1000, ...opts };
    this.#logger = deps.logger.child({ module: "jobs" });
    this.#events.setMaxListeners(0);
  }

  /** Loads persisted jobs; ones that were queued or running when manageos stopped are marked failed, not dropped. */
  async load(): Promise<void> {
    const value = await readJsonFile(this.#file());
    const list = isJobList(value) ? value.jobs : [];
    for (const record of list) {
      if (!isFinished(record.state)) {
        record.state = "failed";
        record.finishedAt = new Date().toISOString();
        record.error = JobErrors.interrupted().toJSON();
      }
      this.#jobs.set(record.id, record);
    }
  }

  /** Submits a job; with `queue` false a running job makes it fail with JOB_ERR_BUSY naming the running one. */
  submit(kind: string, params: Record<string, unknown>, run: JobRunner, options: { queue?: boolean } = {}): JobRecord {
    if (this.#closed) throw JobErrors.closed();
    const busy = this.#running ?? this.#waiting[0];
    if (busy !== undefined && options.queue !== true) {
      throw JobErrors.busy(kind, busy.record.id, busy.record.kind, {
        details: { runningJob: busy.record.id, runningKind: busy.record.kind },
      });
    }
    const record: JobRecord = {
      id: newJobId(),
      kind,
      params,
      state: "queued",
      createdAt: new Date().toISOString(),
      startedAt: undefined,
      finishedAt: undefined,
      progress: { current: 0, total: undefined, unit: "steps", message: "queued" },
      result: undefined,
      error: undefined,
      log: [],
    };
    let settle: (r: JobRecord) => void = () => {};
    const done = new Promise<JobRecord>((resolve) => {
      settle = resolve;
    });
    this.#jobs.set(record.id, record);
    this.#waiting.push({ record, run, abort: new AbortController(), done, settle });
    this.#logger.info({ job: record.id, kind }, "job queued");
    this.#changed(record, true);
    this.#next();
    return record;
  }

  /** Resolves when the job has finished, with its final record. */
  async wait(id: string): Promise<JobRecord> {
    const pending = this.#pending(id);
    if (pending !== undefined) return pending.done;
    return this.get(id);
  }

  /** One job; JOB_ERR_NOT_FOUND when unknown. */
  get(id: string): JobRecord {
    const record = this.#jobs.get(id);
    if (record === undefined) throw JobErrors.notFound(id);
    return record;
  }

  /** Jobs, newest first. */
  list(limit = 50, offset = 0): JobRecord[] {
    return [...this.#jobs.values()].reverse().slice(offset, offset + limit);
  }

  /** The running job, if any. */
  running(): JobRecord | undefined {
    return this.#running?.record;
  }

  /** Cancels a queued job at once, or asks a running one to stop through its signal. */
  cancel(id: string): JobRecord {
    const record = this.get(id);
    if (isFinished(record.state)) throw JobErrors.notCancellable(id, record.state);
    const index = this.#waiting.findIndex((p) => p.record.id === id);
    if (index >= 0) {
      const [pending] = this.#waiting.splice(index, 1);
      this.#finish(pending as Pending, "cancelled", undefined, JobErrors.cancelled(id).toJSON());
    } else {
      this.#running?.abort.abort(JobErrors.cancelled(id));
    }
    return record;
  }

  /** Subscribes to a job's updates; returns the unsubscribe function. */
  subscribe(id: string, listener: (record: JobRecord) => void): () => void {
    this.#events.on(id, listener);
    return () => this.#events.off(id, listener);
  }

  /** Resolves once every change made so far is on disk (or failed to get there, which is logged). */
  persisted(): Promise<void> {
    return this.#persisting;
  }

  /** Refuses new jobs, cancels queued ones, waits for the running one, persists. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#waiting.splice(0)) {
      this.#finish(pending, "cancelled", undefined, JobErrors.closed().toJSON());
    }
    if (this.#running !== undefined) await this.#running.done;
    clearTimeout(this.#persistTimer);
    await this.#persist();
  }

  // Starts the next queued job when none runs.
  #next(): void {
    if (this.#running !== undefined) return;
    const pending = this.#waiting.shift();
    if (pending === undefined) return;
    this.#running = pending;
    const { record } = pending;
    record.state = "running";
    record.startedAt = new Date().toISOString();
    record.progress = { ...record.progress, message: "started" };
    this.#changed(record, true);
    const context: JobContext = {
      id: record.id,
      signal: pending.abort.signal,
      progress: (update) => {
        record.progress = { ...record.progress, ...update };
        this.#changed(record, false);
      },
      log: (message, level = "info") => {
        record.log.push({ at: new Date().toISOString(), level, message });
        if (record.log.length > this.#opts.keepLog) record.log.splice(0, record.log.length - this.#opts.keepLog);
        this.#logger[level]({ job: record.id, kind: record.kind }, message);
        this.#changed(record, false);
      },
    };
    pending.run(context).then(
      (result) => this.#finish(pending, "succeeded", result, undefined),
      (error: unknown) => {
        const cancelled = pending.abort.signal.aborted;
        this.#finish(pending, cancelled ? "cancelled" : "failed", undefined, toJobError(error));
      },
    );
  }

  // Records the end of a job and starts the next one.
  #finish(pending: Pending, state: JobRecord["state"], result: unknown, error: JobError | undefined): void {
    const { record } = pending;
    record.state = state;
    record.finishedAt = new Date().toISOString();
    record.result = result;
    record.error = error;
    const level = state === "failed" ? "warn" : "info";
    this.#logger[level]({ job: record.id, kind: record.kind, state, error }, `job ${state}`);
    if (this.#running === pending) this.#running = undefined;
    this.#trim();
    this.#changed(record, true);
    pending.settle(record);
    this.#next();
  }

  // Keeps at most `keep` finished jobs.
  #trim(): void {
    const finished = [...this.#jobs.values()].filter((r) => isFinished(r.state));
    for (const old of finished.slice(0, Math.max(0, finished.length - this.#opts.keep))) this.#jobs.delete(old.id);
  }

  // Tells subscribers and persists: state changes at once, progress at most every `persistEvery` ms.
  #changed(record: JobRecord, important: boolean): void {
    this.#events.emit(record.id, record);
    const now = Date.now();
    if (important || now - this.#lastPersist >= this.#opts.persistEvery) {
      clearTimeout(this.#persistTimer);
      this.#persistTimer = undefined;
      void this.#persist();
    } else if (this.#persistTimer === undefined) {
      this.#persistTimer = setTimeout(() => {
        this.#persistTimer = undefined;
        void this.#persist();
      }, this.#opts.persistEvery);
      this.#persistTimer.unref();
    }
  }

  // Writes the job list atomically, one write at a time.
  #persist(): Promise<void> {
    this.#lastPersist = Date.now();
    this.#persisting = this.#persisting
      .then(() => atomicWriteJson(this.#file(), { jobs: [...this.#jobs.values()] }))
      .catch((error: unknown) => this.#logger.error({ err: error }, "cannot persist jobs"));
    return this.#persisting;
  }

  #pending(id: string): Pending | undefined {
    if (this.#running?.record.id === id) return this.#running;
    return this.#waiting.find((p) => p.record.id === id);
  }

  #file(): string {
    return join(this.#opts.stateDir, "jobs.json");
  }
}

/** A sortable, unique job id: time then randomness. */
export function newJobId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** A job error from anything thrown. */
export function toJobError(error: unknown): JobError {
  if (isManageosError(error)) return errorJson(error);
  return JobErrors.unexpected(error instanceof Error ? error.message : String(error)).toJSON();
}

function isJobList(value: unknown): value is { jobs: JobRecord[] } {
  if (typeof value !== "object" || value === null) return false;
  const jobs = (value as { jobs?: unknown }).jobs;
  return (
    Array.isArray(jobs) &&
    jobs.every(
      (j) => typeof j === "object" && j !== null && typeof (j as JobRecord).id === "string" && typeof (j as JobRecord).state === "string",
    )
  );
}
