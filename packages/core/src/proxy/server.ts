import httpProxy from "@fastify/http-proxy";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { ManageosError } from "../errors/manageos-error.js";
import { DenyList } from "./deny.js";
import { ProxyErrors } from "./errors.js";
import type { ProxyGate } from "./gate.js";

/** Options of the public proxy. */
export interface ProxyServerOptions {
  /** The node's API, e.g. `http://127.0.0.1:8888`. */
  readonly upstream: string;
  readonly deny: readonly string[];
  /** Seconds announced in Retry-After while closed. */
  readonly retryAfterSeconds: number;
  /** The node's API as it is now, when it can change (a port chosen at each start); `upstream` otherwise. */
  readonly currentUpstream?: () => string | undefined;
  /** Upstream timeout in ms. */
  readonly timeout?: number;
}

/** The public port: forwards to the node while the gate is open, refuses admin paths always. */
export async function createProxyServer(
  opts: ProxyServerOptions,
  deps: { gate: ProxyGate; logger: Logger },
): Promise<FastifyInstance> {
  const logger = deps.logger.child({ module: "proxy" });
  const deny = new DenyList(opts.deny);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 8 * 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  const send = (reply: FastifyReply, error: ManageosError, status: number) =>
    reply.code(status).header("content-type", "application/json; charset=utf-8").send(error.toJSON());

  // A callback hook, not an async one: no promise per request on the hot path.
  // Answering without calling done() ends the request here; nothing is returned (a reply is thenable).
  app.addHook("onRequest", (request, reply, done) => {
    if (deny.denies(request.url)) {
      send(reply, ProxyErrors.denied(request.url.split("?")[0] ?? ""), 403);
      return;
    }
    if (!deps.gate.isOpen) {
      const gate = deps.gate.status();
      reply.header("retry-after", String(opts.retryAfterSeconds));
      send(reply, ProxyErrors.closed(gate.reasons.join(", "), { details: { reasons: gate.reasons } }), 503);
      return;
    }
    done();
  });

  await app.register(httpProxy, {
    // No fixed origin: each request goes where the node answers now (its port may change at each start).
    upstream: "",
    // undici with a pool of keep-alive connections: the fastest client reply-from offers.
    undici: { connections: 128, pipelining: 1, headersTimeout: opts.timeout ?? 30_000, bodyTimeout: opts.timeout ?? 30_000 },
    replyOptions: {
      getUpstream: () => opts.currentUpstream?.() ?? opts.upstream,
      onError: (reply, failure) => {
        const error = (failure as { error?: Error }).error ?? (failure as unknown as Error);
        const timedOut = /timeout/i.test(String(error?.message ?? "")) || (error as { code?: string })?.code === "FST_REPLY_FROM_GATEWAY_TIMEOUT";
        logger.warn({ err: error }, "upstream request failed");
        if (timedOut) return send(reply as FastifyReply, ProxyErrors.upstreamTimeout(), 504);
        return send(reply as FastifyReply, ProxyErrors.upstream(String(error?.message ?? "connection failed")), 502);
      },
    },
  });
  return app;
}
