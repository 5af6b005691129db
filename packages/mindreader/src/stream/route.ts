import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MindreaderErrors } from "../errors.js";
import type { BlockStream } from "./block-stream.js";
import { SseWriter } from "./sse.js";

/** Options of the live block stream route. */
export interface BlockStreamRouteOptions {
  /** Default `/v1/mindreader/blocks`. */
  readonly path?: string;
  /** Comment lines on an idle stream, default every 15 s. */
  readonly heartbeatMs?: number;
}

/**
 * Registers `GET /v1/mindreader/blocks?from=N`: server-sent `block` events (dmlog format: num, id, previous, time,
 * producer, lib; Firehose format: the decoded block's protobuf JSON mapping), replaying from block N while it is still in memory (also after `Last-Event-ID`), then live.
 */
export function registerBlockStreamRoute(app: FastifyInstance, stream: BlockStream, options: BlockStreamRouteOptions = {}): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<() => void>();
  // A hijacked stream never goes idle: end them all when the server closes, or close() would wait on them forever.
  app.addHook("preClose", (done) => {
    for (const stop of [...open]) stop();
    done();
  });
  app.get(options.path ?? "/v1/mindreader/blocks", (request: FastifyRequest, reply: FastifyReply) => {
    const from = startOf(request);
    if (typeof from !== "number") {
      const err = MindreaderErrors.badRequest(from.error);
      return reply.code(400).send(err.toJSON());
    }
    const replay = stream.replayFrom(from);
    if ("tooOld" in replay) {
      const err = MindreaderErrors.fromTooOld(from, replay.tooOld);
      return reply.code(410).send({ ...err.toJSON(), details: { oldest: replay.tooOld } });
    }
    reply.hijack();
    const sse = new SseWriter(reply.raw);
    sse.open();
    for (const block of replay.events) sse.send("block", block.data(), block.num);
    const unsubscribe = stream.subscribe((block) => {
      if (!sse.send("block", block.data(), block.num)) stop();
    });
    const timer = setInterval(() => {
      if (!sse.heartbeat()) stop();
    }, heartbeatMs);
    timer.unref();
    open.add(stop);
    function stop(): void {
      open.delete(stop);
      unsubscribe();
      clearInterval(timer);
      sse.end();
    }
    reply.raw.on("close", stop);
    return reply;
  });
}

// `from` wins over Last-Event-ID (the number of the last block the client saw); neither means live only.
function startOf(request: FastifyRequest): number | { error: string } {
  const query = request.query as Record<string, unknown> | undefined;
  const raw = query?.["from"];
  if (typeof raw === "string" && raw.length > 0) {
    return /^\d+$/.test(raw) ? Number(raw) : { error: `from=${raw} is not a block number` };
  }
  const last = request.headers["last-event-id"];
  if (typeof last === "string" && /^\d+$/.test(last)) return Number(last) + 1;
  return Number.MAX_SAFE_INTEGER;
}
