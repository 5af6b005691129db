import type { FastifyReply, FastifyRequest } from "fastify";
import { statusOf } from "../errors/catalogue.js";
import type { JobRecord } from "../jobs/job.js";
import type { Operator } from "../operator/operator.js";

/** Query string every mutating route takes. */
export interface CommandQuery {
  sync?: boolean;
  queue?: boolean;
}

/** JSON schema of the common command query, extended per route. */
export function commandQuerySchema(extra: Record<string, unknown> = {}, required: string[] = []) {
  return {
    type: "object",
    additionalProperties: false,
    required,
    properties: { sync: { type: "boolean" }, queue: { type: "boolean" }, ...extra },
  } as const;
}

/** Answers a submitted job: 202 + Location, or with `?sync=true` the finished job (its error's status if it failed). */
export async function answerJob(
  operator: Operator,
  job: JobRecord,
  request: FastifyRequest<{ Querystring: CommandQuery }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const location = `/v1/jobs/${job.id}`;
  reply.header("location", location);
  if (request.query.sync !== true) return reply.code(202).send({ job });
  const done = await operator.queue.wait(job.id);
  if (done.state === "succeeded") return reply.code(200).send({ job: done, result: done.result });
  const error = done.error ?? { code: "JOB_ERR_CANCELLED", message: `job ${done.id} was ${done.state}` };
  return reply.code(statusOf(error.code)).send({ ...error, details: { ...error.details, job: done } });
}
