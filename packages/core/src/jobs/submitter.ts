import type { JobRecord, JobRunner } from "./job.js";

/** What a part that runs its work as jobs needs of the command queue: submit one, wait for one, see what is queued. */
export interface JobSubmitter {
  /** Submits a job; with `queue`, behind the running one instead of refusing. */
  submit(kind: string, params: Record<string, unknown>, run: JobRunner, options?: { queue?: boolean }): JobRecord;
  /** Resolves once the job has ended. */
  wait(id: string): Promise<JobRecord>;
  /** Jobs, newest first. */
  list(limit?: number, offset?: number): JobRecord[];
}
