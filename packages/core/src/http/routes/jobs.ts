import type { FastifyInstance } from "fastify";
import { isFinished, type JobRecord } from "../../jobs/job.js";
import type { Operator } from "../../operator/operator.js";
import { ApiErrors } from "../errors.js";

const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[a-z0-9]+-[0-9a-f]{8}$" } },
} as const;
const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 500, default: 50 },
    offset: { type: "integer", minimum: 0, default: 0 },
  },
} as const;

/** Job routes: list, one, cancel, and an SSE stream of a job's progress until it ends. */
export function jobRoutes(app: FastifyInstance, deps: { operator: Operator }): void {
  const { queue } = deps.operator;
  app.get<{ Querystring: { limit: number; offset: number } }>("/v1/jobs", { schema: { querystring: listQuery } }, async (request) => ({
    jobs: queue.list(request.query.limit, request.query.offset),
    running: queue.running()?.id ?? null,
  }));
  app.get<{ Params: { id: string } }>("/v1/jobs/:id", { schema: { params: idParams } }, async (request) => ({
    job: queue.get(request.params.id),
  }));
  app.delete<{ Params: { id: string } }>("/v1/jobs/:id", { schema: { params: idParams } }, async (request) => ({
    job: queue.cancel(request.params.id),
  }));
  app.get<{ Params: { id: string } }>(
    "/v1/jobs/:id/events",
    {
      schema: { params: idParams },
      sse: { kind: "only", heartbeat: true },
      // The SSE plugin refuses a client that will not take an event stream in a shape of its own: ours instead.
      onSend: async (_request, reply, payload) =>
        reply.statusCode === 406 ? JSON.stringify(ApiErrors.notAcceptable("text/event-stream").toJSON()) : payload,
    },
    async (request, reply) => {
      const first = structuredClone(queue.get(request.params.id));
      reply.sse.keepAlive();
      const updates: JobRecord[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = queue.subscribe(first.id, (record) => {
        updates.push(structuredClone(record));
        wake?.();
      });
      reply.sse.onClose(() => {
        unsubscribe();
        wake?.();
      });
      let seq = 0;
      let last: JobRecord = first;
      await reply.sse.send({ id: String(seq++), event: "job", data: first });
      while (!isFinished(last.state) && reply.sse.isConnected) {
        if (updates.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        // Only the newest state matters to a watcher: skip the updates that piled up.
        last = updates.splice(0).at(-1) as JobRecord;
        await reply.sse.send({ id: String(seq++), event: "job", data: last });
      }
      unsubscribe();
      if (reply.sse.isConnected) {
        await reply.sse.send({ id: String(seq++), event: "end", data: { state: last.state } });
        reply.sse.close();
      }
    },
  );
}
