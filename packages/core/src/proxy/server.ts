import httpProxy from "@fastify/http-proxy";
import type { AddressInfo } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { ManageosError } from "../errors/manageos-error.js";
import { DenyList } from "./deny.js";
import { ProxyErrors } from "./errors.js";
import { FastLane, type FastLaneCounts } from "./fast-lane.js";
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
  /** How long a public client connection may wait for its next request, in ms (72 s). */
  readonly clientIdleTimeout?: number;
}

/** The public proxy: one listener, served by the fast lane and, for everything else, the full proxy. */
export interface PublicProxy {
  /** Listens on the public address; resolves with its URL. */
  listen(address: { host: string; port: number }): Promise<string>;
  /** Stops accepting, lets requests under way finish, closes both lanes. */
  close(): Promise<void>;
  /** Requests the fast lane forwarded and connections it handed to the full proxy. */
  readonly counts: Readonly<FastLaneCounts>;
}

/**
 * The public port: forwards to the node while the gate is open, refuses admin paths always. Plain requests take the
 * fast lane; the full proxy (fastify and @fastify/http-proxy, on a loopback port of its own) answers everything else,
 * the gate's 503s and the deny list's 403s included.
 */
export async function createProxyServer(opts: ProxyServerOptions, deps: { gate: ProxyGate; logger: Logger }): Promise<PublicProxy> {
  const logger = deps.logger.child({ module: "proxy" });
  const deny = new DenyList(opts.deny);
  // Each request goes where the node answers now: its port may change at each start.
  const upstream = () => opts.currentUpstream?.() ?? opts.upstream;
  const timeout = opts.timeout ?? 30_000;
  const full = await createFullProxy(opts, { gate: deps.gate, logger, deny, upstream, timeout });
  const fullAddress = { host: "127.0.0.1", port: 0 };
  const lane = new FastLane(
    {
      upstream,
      timeout,
      clientIdleTimeout: opts.clientIdleTimeout,
      fullProxy: () => fullAddress,
    },
    { gate: deps.gate, deny, logger },
  );
  let listening = false;
  let closed: Promise<void> | undefined;
  return {
    counts: lane.counts,
    async listen({ host, port }) {
      await full.listen({ host: fullAddress.host, port: 0, listenTextResolver: (address) => `full proxy listening at ${address}, behind the public port` });
      fullAddress.port = (full.server.address() as AddressInfo).port;
      const address = await lane.listen(host, port);
      listening = true;
      // The wildcard address is no place to send a request to: name the loopback one instead.
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address === "0.0.0.0" ? "127.0.0.1" : address.address;
      return `http://${shown}:${address.port}`;
    },
    close() {
      closed ??= Promise.all([listening ? lane.close() : undefined, full.close()]).then(() => undefined);
      return closed;
    },
  };
}

// The full proxy: every request the fast lane does not forward itself.
async function createFullProxy(
  opts: ProxyServerOptions,
  deps: { gate: ProxyGate; logger: Logger; deny: DenyList; upstream: () => string; timeout: number },
): Promise<FastifyInstance> {
  const { logger, deny, upstream, timeout } = deps;
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
    // Refusals close the connection, so that the client's next one starts in the fast lane again.
    if (deny.denies(request.url)) {
      reply.header("connection", "close");
      send(reply, ProxyErrors.denied(request.url.split("?")[0] ?? ""), 403);
      return;
    }
    if (!deps.gate.isOpen) {
      const gate = deps.gate.status();
      reply.header("retry-after", String(opts.retryAfterSeconds)).header("connection", "close");
      send(reply, ProxyErrors.closed(gate.reasons.join(", "), { details: { reasons: gate.reasons } }), 503);
      return;
    }
    done();
  });

  await app.register(httpProxy, {
    // Each request forwarded is a recurring event: its lines ("fetching from remote server") are not info.
    logLevel: "warn",
    // No fixed origin: `getUpstream` names it for each request.
    upstream: "",
    // undici with a pool of keep-alive connections: the fastest client reply-from offers.
    undici: { connections: 128, pipelining: 1, headersTimeout: timeout, bodyTimeout: timeout },
    replyOptions: {
      getUpstream: upstream,
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
