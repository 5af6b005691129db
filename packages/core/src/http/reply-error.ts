import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { statusOf } from "../errors/catalogue.js";
import { errorJson, isManageosError, type ManageosError } from "../errors/manageos-error.js";
import { ApiErrors } from "./errors.js";

/** Turns anything thrown in a route into `{code, message, details?}` with the code's status. */
export function replyError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const coded = toCoded(error);
  const status = isManageosError(error) ? statusOf(coded.code) : statusOfFastify(error, coded);
  if (status >= 500 && !isManageosError(error)) request.log.error({ err: error }, "unexpected error in a route");
  return reply.code(status).send(errorJson(coded));
}

// Fastify's own client errors (validation, bad JSON, body too large) keep their 4xx status.
function toCoded(error: unknown): ManageosError {
  if (isManageosError(error)) return error;
  const fe = error as Partial<FastifyError>;
  if (fe.validation !== undefined) return ApiErrors.badRequest(fe.message ?? "invalid input", { details: { validation: fe.validation } });
  if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") return ApiErrors.tooLarge();
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return ApiErrors.badRequest(fe.message ?? "invalid request", { details: { reason: fe.code } });
  }
  return ApiErrors.internal();
}

function statusOfFastify(error: unknown, coded: ManageosError): number {
  const status = (error as Partial<FastifyError>).statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return status;
  return statusOf(coded.code);
}
