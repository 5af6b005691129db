import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { ManageosError } from "../errors/manageos-error.js";
import type { DenyList } from "./deny.js";
import { rawErrorAnswer } from "./error-body.js";
import { ProxyErrors } from "./errors.js";
import type { ProxyGate } from "./gate.js";
import { ChunkedEnd, HEAD_END, MAX_REQUEST_HEAD, MAX_RESPONSE_HEAD, readPlainRequest, readResponseHead, type PlainRequest, type ResponseHead } from "./http1.js";
import { type UpstreamConnection, UpstreamPool, type UpstreamUser } from "./upstream-pool.js";

/** Options of the fast lane. */
export interface FastLaneOptions {
  /** The node's API now, `http://host:port`. */
  readonly upstream: () => string;
  /** Upstream timeout in ms: the longest the node may stay silent during a request. */
  readonly timeout: number;
  /** The full proxy's own listener, where every connection the fast lane does not serve goes. */
  readonly fullProxy: () => { host: string; port: number };
  /** How long a client connection may wait for its next request, in ms (72 s). */
  readonly clientIdleTimeout?: number;
  /** The largest request body forwarded, in bytes; a request announcing more gets 413. */
  readonly maxBodySize: number;
}

// Timeouts in ticks of the lane's clock.
interface Ticks {
  readonly idle: number;
  readonly upstream: number;
}

/** What the fast lane did, for tests and benchmarks. */
export interface FastLaneCounts {
  /** Requests it forwarded itself. */
  forwarded: number;
  /** Connections it passed to the full proxy. */
  handedOver: number;
}

// A client connection waiting for a request is closed this long after it opened or had its last answer, whether the
// client sends nothing or only part of a head (fastify's keep-alive timeout).
const CLIENT_IDLE_MS = 72_000;
// Pipelined requests buffered while one is answered, beyond which the client is not read until it is.
const MAX_BUFFERED = 64 * 1024;
const MAX_IDLE_UPSTREAM = 64;
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
// After a 413, what the client still sends of its body is read and dropped until it closes, is silent this long, or
// this much longer passed: closing with unread bytes resets the connection, and a reset can destroy the answer before
// the client reads it (nginx's lingering close).
const LINGER_IDLE_MS = 200;
const LINGER_MAX_MS = 5_000;

/**
 * The public port's fast path: plain GET and POST requests, while the gate is open, go to the node through pooled
 * keep-alive connections with their bytes passed as they are (only Host is rewritten, and `Expect: 100-continue`
 * answered here, and a body over the limit refused with 413); any connection carrying something else (a denied or
 * encoded path, a closed gate, chunked uploads, another Expect, Upgrade, another method or version, anything malformed)
 * is handed, bytes and all, to the full proxy, which answers it. Node's HTTP server costs about
 * twice the CPU per request of forwarding bytes, and the public port's throughput is bound by CPU.
 */
export class FastLane {
  readonly counts: FastLaneCounts = { forwarded: 0, handedOver: 0 };
  readonly #server: Server;
  readonly #connections = new Set<ClientConnection>();
  readonly #pool: UpstreamPool;
  // Timeouts are counted in ticks of one timer for the whole lane: a timer per socket, refreshed on every read and
  // write, costs more than the rest of a request's work in JavaScript.
  readonly #ticker: NodeJS.Timeout;
  #tick = 0;
  readonly #ticks: Ticks;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(
    readonly opts: FastLaneOptions,
    readonly deps: { gate: ProxyGate; deny: DenyList; logger: Logger },
  ) {
    this.#pool = new UpstreamPool({ maxIdle: MAX_IDLE_UPSTREAM });
    const idle = opts.clientIdleTimeout ?? CLIENT_IDLE_MS;
    const period = Math.max(10, Math.min(1_000, Math.floor(Math.min(opts.timeout, idle) / 4)));
    const ticks = (ms: number) => Math.ceil(ms / period);
    this.#ticks = { idle: ticks(idle), upstream: ticks(opts.timeout) };
    this.#ticker = setInterval(() => this.#sweep(), period).unref();
    this.#server = createServer({ noDelay: true }, (socket) => {
      if (this.#closing) {
        socket.destroy();
        return;
      }
      const connection = new ClientConnection(socket, this, this.#pool);
      this.#connections.add(connection);
      socket.once("close", () => {
        this.#connections.delete(connection);
        if (this.#connections.size === 0) this.#drained?.();
      });
    });
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** The current tick of the lane's clock. */
  get tick(): number {
    return this.#tick;
  }

  // One tick: times out silent requests, idle and slow clients, idle connections to the node.
  #sweep(): void {
    const now = ++this.#tick;
    for (const connection of this.#connections) connection.sweep(now, this.#ticks);
    this.#pool.sweep(now - this.#ticks.upstream);
  }

  /** Listens; resolves with the address. */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting, closes idle connections, lets requests under way finish, then closes the pool. Connections still
   * open a timeout later (a client that does not close its side) are cut.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const drained = new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    for (const connection of this.#connections) connection.closeWhenIdle();
    const cut = setTimeout(() => {
      for (const connection of this.#connections) connection.client.destroy();
    }, this.opts.timeout + 1_000);
    if (this.#connections.size > 0) await drained;
    clearTimeout(cut);
    clearInterval(this.#ticker);
    this.#pool.close();
    if (this.#server.listening) await stopped;
  }
}

// Where a client connection is: waiting for a request head, serving a request, handed over, or finished.
const State = { Head: 0, Request: 1, HandedOver: 2, Done: 3 } as const;

// Reads and drops what a client still sends after its connection's last answer, then closes it (LINGER_*).
function linger(client: Socket): void {
  if (client.readableEnded) {
    client.destroy();
    return;
  }
  const close = () => {
    clearTimeout(idle);
    clearTimeout(max);
    client.destroy();
  };
  let idle = setTimeout(close, LINGER_IDLE_MS);
  const max = setTimeout(close, LINGER_MAX_MS);
  client.on("data", () => {
    clearTimeout(idle);
    idle = setTimeout(close, LINGER_IDLE_MS);
  });
  client.once("end", close);
  client.resume();
}

/** One client connection: reads request heads, forwards plain requests one at a time, passes the answers back. */
class ClientConnection implements UpstreamUser {
  #state: number = State.Head;
  #pending: Buffer | undefined;
  // Ticks: the connection's start or its last answer, the last byte to or from the node.
  #idleSince: number;
  #upstreamSeen = 0;
  #request: PlainRequest | undefined;
  // The connection the request went on had carried one before, and the request was sent again once already.
  #wasReused = false;
  #retried = false;
  #bodyLeft = 0;
  #upstream: UpstreamConnection | undefined;
  #responseHead: ResponseHead | undefined;
  #responseHeadBytes: Buffer | undefined;
  #responseLeft = 0;
  #chunked: ChunkedEnd | undefined;
  #responseStarted = false;
  #closeAfter = false;

  constructor(
    readonly client: Socket,
    readonly lane: FastLane,
    readonly pool: UpstreamPool,
  ) {
    this.#idleSince = lane.tick;
    client.on("data", this.#onClientData);
    client.on("drain", () => this.#upstream?.socket.resume());
    client.on("error", () => undefined);
    client.on("close", () => {
      this.#state = State.Done;
      this.#dropUpstream();
    });
  }

  /** At tick `now`: closes the connection when no request came in time, answers 504 when the node is silent. */
  sweep(now: number, ticks: Ticks): void {
    if (this.#state === State.Head) {
      if (now - this.#idleSince > ticks.idle) this.client.destroy();
    } else if (this.#state === State.Request && now - this.#upstreamSeen > ticks.upstream) {
      this.#timedOut();
    }
  }

  /** At shutdown: closes the connection now if it waits for a request, or after the answer under way. */
  closeWhenIdle(): void {
    if (this.#state === State.Head) this.client.destroy();
    else this.#closeAfter = true;
  }

  readonly #onClientData = (chunk: Buffer): void => {
    if (this.#state === State.Done) return;
    if (this.#state === State.Request && this.#bodyLeft > 0) {
      const body = this.#bodyLeft >= chunk.length ? chunk : chunk.subarray(0, this.#bodyLeft);
      this.#bodyLeft -= body.length;
      this.#upstreamSeen = this.lane.tick;
      if (this.#upstream !== undefined && !this.#upstream.socket.write(body)) this.client.pause();
      if (body.length === chunk.length) return;
      chunk = chunk.subarray(body.length);
    }
    this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    if (this.#state === State.Head) this.#nextRequest();
    else if (this.#state === State.Request && this.#pending.length > MAX_BUFFERED) this.client.pause();
  };

  // Reads the next request head from what the client sent, and forwards the request or hands the connection over.
  #nextRequest(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const end = pending.indexOf(HEAD_END);
    if (end === -1) {
      const lf = pending.indexOf(10);
      const bareLf = lf === 0 || (lf > 0 && pending[lf - 1] !== 13);
      if (pending.length > MAX_REQUEST_HEAD || bareLf) this.#handOver();
      return;
    }
    const { gate, deny } = this.lane.deps;
    const request = end + 4 <= MAX_REQUEST_HEAD ? readPlainRequest(pending.toString("latin1", 0, end + 4)) : undefined;
    if (request === undefined || !gate.isOpen || deny.deniesPlainPath(request.path)) {
      this.#handOver();
      return;
    }
    // Answered here, not by the full proxy: a body sent on regardless would reach it only to be reset with its 413.
    if (request.contentLength > this.lane.opts.maxBodySize) {
      this.#refuseBody();
      return;
    }
    this.#pending = end + 4 < pending.length ? pending.subarray(end + 4) : undefined;
    this.#state = State.Request;
    this.#request = request;
    this.#bodyLeft = request.contentLength;
    this.#retried = false;
    this.lane.counts.forwarded++;
    // A client that waits for the go-ahead before its body gets it here, once the request is known to be forwarded.
    if (request.expectContinue && this.#bodyLeft > 0 && this.#pending === undefined) this.client.write(CONTINUE, "latin1");
    this.#send(request);
    if (this.#bodyLeft > 0 && this.#pending !== undefined) {
      const rest = this.#pending;
      this.#pending = undefined;
      this.#onClientData(rest);
    }
  }

  // Sends a request head on a connection from the pool, or on a new one.
  #send(request: PlainRequest, fresh = false): void {
    let upstream: UpstreamConnection;
    try {
      upstream = this.pool.acquire(this.lane.opts.upstream(), this, fresh);
    } catch (error) {
      this.#answerError(ProxyErrors.upstream(String((error as Error).message)), 502, error);
      return;
    }
    this.#upstream = upstream;
    this.#wasReused = upstream.reused;
    this.#upstreamSeen = this.lane.tick;
    upstream.socket.write(request.forward(upstream.host), "latin1");
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.#state !== State.Request) return;
    this.#upstreamSeen = this.lane.tick;
    let from = 0;
    if (this.#responseHead === undefined) {
      const bytes = this.#responseHeadBytes === undefined ? chunk : Buffer.concat([this.#responseHeadBytes, chunk]);
      const end = bytes.indexOf(HEAD_END);
      if (end === -1) {
        if (bytes.length > MAX_RESPONSE_HEAD) this.#upstreamFailed(new Error("the node answered with an oversized head"));
        else this.#responseHeadBytes = bytes;
        return;
      }
      this.#responseHeadBytes = undefined;
      let head: ResponseHead;
      try {
        head = readResponseHead(bytes.toString("latin1", 0, end + 4));
      } catch (error) {
        this.#upstreamFailed(error as Error);
        return;
      }
      chunk = bytes;
      from = end + 4;
      if (head.status < 200) {
        // An interim answer (100 Continue, 103 Early Hints): passed on; the final one follows.
        this.#responseStarted = true;
        this.client.write(chunk.subarray(0, from));
        if (from < chunk.length) this.onUpstreamData(chunk.subarray(from));
        return;
      }
      this.#responseHead = head;
      if (head.framing.kind === "length") this.#responseLeft = head.framing.length;
      else if (head.framing.kind === "chunked") this.#chunked = new ChunkedEnd();
    }
    const head = this.#responseHead;
    let end = -1;
    if (head.framing.kind === "length") {
      const take = Math.min(this.#responseLeft, chunk.length - from);
      this.#responseLeft -= take;
      if (this.#responseLeft === 0) end = from + take;
    } else if (head.framing.kind === "chunked") {
      try {
        end = (this.#chunked as ChunkedEnd).feed(chunk, from);
      } catch (error) {
        this.#upstreamFailed(error as Error);
        return;
      }
    } else if (head.framing.kind === "none") {
      end = from;
    }
    const out = end === -1 || end === chunk.length ? chunk : chunk.subarray(0, end);
    this.#responseStarted = true;
    if (!this.client.write(out)) this.#upstream?.socket.pause();
    // Bytes past the end of the answer were never asked for: the connection is not used again.
    if (end !== -1) this.#responseDone(end === chunk.length);
  }

  onUpstreamDrain(): void {
    this.#upstreamSeen = this.lane.tick;
    this.client.resume();
  }

  onUpstreamGone(error: Error | undefined): void {
    this.#upstream = undefined;
    if (this.#state !== State.Request) return;
    if (this.#responseHead?.framing.kind === "close") {
      this.#responseDone(false);
      return;
    }
    this.#upstreamFailed(error ?? new Error("the node closed the connection"), true);
  }

  // The node said nothing for the timeout: 504 if nothing of the answer went out yet, or the connection is cut.
  #timedOut(): void {
    this.#dropUpstream();
    if (this.#responseStarted) this.client.destroy();
    else this.#answerError(ProxyErrors.upstreamTimeout(), 504);
  }

  // The node failed this request. A GET without a body sent on a kept-alive connection the node had closed meanwhile
  // is sent once more on a new connection; otherwise 502 if nothing of the answer went out yet, or the connection is cut.
  #upstreamFailed(error: Error, canRetry = false): void {
    this.#dropUpstream();
    const request = this.#request;
    const unanswered = !this.#responseStarted && this.#responseHeadBytes === undefined;
    if (canRetry && unanswered && this.#wasReused && !this.#retried && request?.method === "GET" && request.contentLength === 0) {
      this.#retried = true;
      this.#send(request, true);
      return;
    }
    if (this.#responseStarted) this.client.destroy();
    else this.#answerError(ProxyErrors.upstream(error.message), 502, error);
  }

  #responseDone(reusable: boolean): void {
    const head = this.#responseHead as ResponseHead;
    const request = this.#request as PlainRequest;
    const upstream = this.#upstream;
    this.#upstream = undefined;
    // The node answered before the whole request body arrived: the rest can go nowhere, so the connection ends.
    if (this.#bodyLeft > 0) this.#closeAfter = true;
    if (upstream !== undefined) this.pool.release(upstream, reusable && !head.close && this.#bodyLeft === 0, this.lane.tick);
    this.#responseHead = undefined;
    this.#chunked = undefined;
    this.#responseStarted = false;
    this.#request = undefined;
    if (this.#closeAfter || request.close || head.close || this.lane.closing) {
      this.#finish();
      return;
    }
    this.#state = State.Head;
    this.#idleSince = this.lane.tick;
    this.client.resume();
    this.#nextRequest();
  }

  // Answers with a coded error and closes the connection.
  #answerError(error: ManageosError, status: number, cause?: unknown): void {
    this.lane.deps.logger.warn({ err: cause ?? error }, "upstream request failed");
    this.#dropUpstream();
    this.#finish(rawErrorAnswer(status, error));
  }

  // Answers 413 and closes the connection once the client stops sending its body (a linger, bounded).
  #refuseBody(): void {
    this.#state = State.Done;
    this.#pending = undefined;
    this.client.off("data", this.#onClientData);
    this.client.once("finish", () => linger(this.client));
    this.client.end(rawErrorAnswer(413, ProxyErrors.bodyTooLarge(this.lane.opts.maxBodySize)));
  }

  // Sends the last bytes and closes the connection once they are out, whether or not the client closes its side.
  #finish(last?: string): void {
    this.#state = State.Done;
    this.client.once("finish", () => this.client.destroy());
    if (last === undefined) this.client.end();
    else this.client.end(last);
  }

  #dropUpstream(): void {
    const upstream = this.#upstream;
    this.#upstream = undefined;
    if (upstream === undefined) return;
    upstream.user = undefined;
    upstream.socket.destroy();
  }

  // Gives the connection, with the bytes read and not yet served, to the full proxy for the rest of its life.
  #handOver(): void {
    this.#state = State.HandedOver;
    this.lane.counts.handedOver++;
    const client = this.client;
    client.off("data", this.#onClientData);
    const full = this.lane.opts.fullProxy();
    const inner = connect({ host: full.host, port: full.port, noDelay: true });
    if (this.#pending !== undefined) inner.write(this.#pending);
    this.#pending = undefined;
    client.pipe(inner);
    inner.pipe(client);
    inner.on("error", () => client.destroy());
    // Once the full proxy has closed and its last bytes are out, the connection goes, whatever the client does.
    client.once("finish", () => client.destroy());
    client.on("close", () => inner.destroy());
    client.resume();
  }
}
