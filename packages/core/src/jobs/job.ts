/** Where a job is in its life. */
export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** How far a job has come: `current` of `total` `unit`s, and what it does now. */
export interface JobProgress {
  readonly current: number;
  readonly total: number | undefined;
  readonly unit: string;
  readonly message: string;
}

/** A coded error as a job records it. */
export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** One line of a job's own log. */
export interface JobLogEntry {
  readonly at: string;
  readonly level: "info" | "warn" | "error";
  readonly message: string;
}

/** A job as the API shows it and as it is persisted. */
export interface JobRecord {
  readonly id: string;
  readonly kind: string;
  readonly params: Record<string, unknown>;
  state: JobState;
  readonly createdAt: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  progress: JobProgress;
  result: unknown;
  error: JobError | undefined;
  log: JobLogEntry[];
}

/** What a job's body receives: progress and log reporting, and a signal that fires on cancel. */
export interface JobContext {
  readonly id: string;
  readonly signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
  log(message: string, level?: JobLogEntry["level"]): void;
}

/** The body of a job. */
export type JobRunner = (context: JobContext) => Promise<unknown>;

/** True once a job will not change any more. */
export function isFinished(state: JobState): boolean {
  return state === "succeeded" || state === "failed" || state === "cancelled";
}
