import { defineError } from "../errors/catalogue.js";

/** Errors of the command queue. */
export const JobErrors = {
  busy: defineError(
    "JOB_ERR_BUSY",
    409,
    (kind: string, runningId: string, runningKind: string) =>
      `cannot start ${kind}: job ${runningId} (${runningKind}) is running; retry later or ask with ?queue=true`,
  ),
  notFound: defineError("JOB_ERR_NOT_FOUND", 404, (id: string) => `no job ${id}`),
  interrupted: defineError("JOB_ERR_INTERRUPTED", 500, () => "manageos stopped while this job was running"),
  cancelled: defineError("JOB_ERR_CANCELLED", 409, (id: string) => `job ${id} was cancelled`),
  notCancellable: defineError(
    "JOB_ERR_NOT_CANCELLABLE",
    409,
    (id: string, state: string) => `job ${id} is ${state} and cannot be cancelled`,
  ),
  unexpected: defineError("JOB_ERR_UNEXPECTED", 500, (reason: string) => `job failed: ${reason}`),
  closed: defineError("JOB_ERR_CLOSED", 503, () => "manageos is shutting down and takes no new commands"),
};
