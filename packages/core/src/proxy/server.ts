import httpProxy from "@fastify/http-proxy";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Transform, type TransformCallback } from "node:stream";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { ManageosError } from "../errors/manageos-error.js";
import { DenyList } from "./deny.js";
import { proxyErrorBody, rawErrorAnswer } from "./error-body.js";
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
  /** The largest request body forwarded, in bytes (2 MiB, nodeos' own `http-max-body-size`); larger ones get 413. */
  readonly maxBodySize?: number;
  /** Plain requests take the fast lane (the default); false serves every connection with the full proxy alone. */
  readonly fastLane?: boolean;
}

/** nodeos' default `http-max-body-size`: a larger body would be refused by a node left at its default anyway. */
export const DEFAULT_MAX_BODY_SIZE = 2 * 1024 * 1024;
// The largest request head node:http reads (its default --max-http-header-size), for the 431's message.
const MAX_HEADER_SIZE = 16 * 1024;

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
 * the gate's 503s and the deny list's 403s included. With `fastLane: false` the full proxy listens on the public port
 * itself. Every error the proxy answers itself is `{code, message}` with nodeos' `error` beside it.
 */
export async function createProxyServer(opts: ProxyServerOptions, deps: { gate: ProxyGate; logger: Logger }): Promise<PublicProxy> {
  const logger = deps.logger.child({ module: "proxy" });
  const deny = new DenyList(opts.deny);
  // Each request goes where the node answers now: its port may change at each start.
  const upstream = () => opts.currentUpstream?.() ?? opts.upstream;
  const timeout = opts.timeout ?? 30_000;
  const maxBodySize = opts.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  const full = await createFullProxy(opts, { gate: deps.gate, logger, deny, upstream, timeout, maxBodySize });
  if (opts.fastLane === false) return fullProxyAlone(full);
  const fullAddress = { host: "127.0.0.1", port: 0 };
  const lane = new FastLane(
    {
      upstream,
      timeout,
      clientIdleTimeout: opts.clientIdleTimeout,
      maxBodySize,
      fullProxy: () => fullAddress,
    },
    { gate: deps.gate, deny, logger },
  );
  let listening = false;
  let closed: Promise<void> | undefined;
  return {
    counts: lane.counts,
    async listen({ host, port }) {
      await full.listen({
        host: fullAddress.host,
        port: 0,
        listenTextResolver: (address) => `full proxy listening at ${address}, behind the public port`,
      });
      fullAddress.port = (full.server.address() as AddressInfo).port;
      const address = await lane.listen(host, port);
      listening = true;
      return urlOf(address);
    },
    close() {
      closed ??= Promise.all([listening ? lane.close() : undefined, full.close()]).then(() => undefined);
      return closed;
    },
  };
}

// The public port served by the full proxy alone, the fast lane switched off.
function fullProxyAlone(full: FastifyInstance): PublicProxy {
  let closed: Promise<void> | undefined;
  return {
    counts: { forwarded: 0, handedOver: 0 },
    async listen({ host, port }) {
      await full.listen({ host, port, listenTextResolver: (address) => `public proxy listening at ${address}, without fast lane` });
      return urlOf(full.server.address() as AddressInfo);
    },
    close() {
      closed ??= full.close();
      return closed;
    },
  };
}

// The wildcard address is no place to send a request to: name the loopback one instead.
function urlOf(address: AddressInfo): string {
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address === "0.0.0.0" ? "127.0.0.1" : address.address;
  return `http://${shown}:${address.port}`;
}

// The full proxy: every request the fast lane does not forward itself.
async function createFullProxy(
  opts: ProxyServerOptions,
  deps: { gate: ProxyGate; logger: Logger; deny: DenyList; upstream: () => string; timeout: number; maxBodySize: number },
): Promise<FastifyInstance> {
  const { logger, deny, upstream, timeout, maxBodySize } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodySize,
    // While closing, requests are answered as ever: the gate's 503 (reason shutdown), not fastify's own.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    // A request without Host reaches the hooks, which refuse it in the proxy's shape, not node:http's empty 400.
    http: { requireHostHeader: false },
    clientErrorHandler: answerClientError,
  });
  const send = (reply: FastifyReply, error: ManageosError, status: number) =>
    reply.code(status).header("content-type", "application/json; charset=utf-8").send(proxyErrorBody(error, status));
  const refuse = (reply: FastifyReply, error: ManageosError, status: number) => send(reply.header("connection", "close"), error, status);

  // The hooks decide on a request that waits for 100 Continue: it is sent only once the request passed them.
  app.server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => app.server.emit("request", req, res));
  app.server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const error = ProxyErrors.expectation(String(req.headers.expect));
    const body = JSON.stringify(proxyErrorBody(error, 417));
    res
      .writeHead(417, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), connection: "close" })
      .end(body);
  });

  // A callback hook, not an async one: no promise per request on the hot path.
  // Answering without calling done() ends the request here; nothing is returned (a reply is thenable).
  app.addHook("onRequest", (request, reply, done) => {
    // Refusals close the connection, so that the client's next one starts in the fast lane again.
    if (deny.denies(request.url)) {
      refuse(reply, ProxyErrors.denied(request.url.split("?")[0] ?? ""), 403);
      return;
    }
    if (!deps.gate.isOpen) {
      const gate = deps.gate.status();
      reply.header("retry-after", String(opts.retryAfterSeconds));
      refuse(reply, ProxyErrors.closed(gate.reasons.join(", "), { details: { reasons: gate.reasons } }), 503);
      return;
    }
    const { headers } = request;
    if (headers.host === undefined && request.raw.httpVersion !== "1.0") {
      refuse(reply, ProxyErrors.badRequest("an HTTP/1.1 request needs a Host header"), 400);
      return;
    }
    if (headers["content-length"] !== undefined && Number(headers["content-length"]) > maxBodySize) {
      refuse(reply, ProxyErrors.bodyTooLarge(maxBodySize), 413);
      return;
    }
    // node:http asks about 100-continue (checkContinue) for HTTP/1.1 only; a 1.0 client gets no 1xx.
    if (headers.expect !== undefined && request.raw.httpVersion === "1.1") reply.raw.writeContinue();
    done();
  });
  // A body without a length (chunked) is counted as it passes, and cut at the limit.
  app.addHook("preParsing", (request, _reply, payload, done) => {
    if (request.headers["transfer-encoding"] === undefined) {
      done(null, payload);
      return;
    }
    // pipe(), not pipeline(): at the limit the request must live on for the 413; a client gone still fails the body.
    const limited = new BodyLimit(maxBodySize);
    payload.on("error", (error) => limited.destroy(error));
    done(null, payload.pipe(limited));
  });
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const message = error instanceof Error ? error.message : String(error);
    if (status === 413) return refuse(reply, ProxyErrors.bodyTooLarge(maxBodySize), 413);
    if (status >= 400 && status < 500) return refuse(reply, ProxyErrors.badRequest(message), status);
    logger.error({ err: error }, "the proxy failed a request");
    return refuse(reply, ProxyErrors.internal(message), 500);
  });
  // Methods the proxy does not forward (TRACE, CONNECT, WebDAV's...).
  app.setNotFoundHandler((request, reply) => refuse(reply, ProxyErrors.method(request.method), 405));

  await app.register(httpProxy, {
    // Each request forwarded is a recurring event: its lines ("fetching from remote server") are not info.
    logLevel: "warn",
    // No fixed origin: `getUpstream` names it for each request.
    upstream: "",
    // undici with a pool of keep-alive connections: the fastest client reply-from offers.
    undici: { connections: 128, pipelining: 1, headersTimeout: timeout, bodyTimeout: timeout },
    replyOptions: {
      getUpstream: upstream,
      // The expectation was met here, by the hooks' 100 Continue; undici refuses to send Expect anyway.
      rewriteRequestHeaders: (_request, headers) => {
        delete headers.expect;
        return headers;
      },
      // The node's hop-by-hop headers are its connection's, not the client's: kept, a client's Connection: close went unheard.
      rewriteHeaders: (headers) => {
        delete headers.connection;
        delete headers["keep-alive"];
        return headers;
      },
      onError: (reply, failure) => {
        const error = (failure as { error?: Error }).error ?? (failure as unknown as Error);
        if (isBodyTooLarge(error)) return refuse(reply as FastifyReply, ProxyErrors.bodyTooLarge(maxBodySize), 413);
        const timedOut =
          /timeout/i.test(String(error?.message ?? "")) || (error as { code?: string })?.code === "FST_REPLY_FROM_GATEWAY_TIMEOUT";
        logger.warn({ err: error }, "upstream request failed");
        if (timedOut) return send(reply as FastifyReply, ProxyErrors.upstreamTimeout(), 504);
        return send(reply as FastifyReply, ProxyErrors.upstream(String(error?.message ?? "connection failed")), 502);
      },
    },
  });
  return app;
}

// Fails with a 413 error once more than `limit` bytes went through.
class BodyLimit extends Transform {
  #left: number;

  constructor(limit: number) {
    super();
    this.#left = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#left -= chunk.length;
    if (this.#left < 0) callback(Object.assign(new Error("request body too large"), { statusCode: 413 }));
    else callback(null, chunk);
  }
}

// The body limit's error, as undici and reply-from pass it on (as the cause of their own).
function isBodyTooLarge(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as { statusCode?: number }).statusCode === 413) return true;
  }
  return false;
}

// Errors node:http's parser raises before a request exists, answered in the proxy's shape (fastify's own would not be).
function answerClientError(error: Error & { code?: string; reason?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  let answer: string;
  if (error.code === "HPE_HEADER_OVERFLOW") answer = rawErrorAnswer(431, ProxyErrors.headersTooLarge(MAX_HEADER_SIZE));
  else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") answer = rawErrorAnswer(408, ProxyErrors.requestTimeout());
  else answer = rawErrorAnswer(400, ProxyErrors.badRequest(error.reason ?? error.code ?? error.message));
  // As node:http does: no answer on a socket that cannot take one, or that carries an answer already.
  const busy = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (socket.writable && !busy) socket.write(answer);
  socket.destroy(error);
}
