import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { ManageosError } from "../errors/manageos-error.js";
import { BodyEnd } from "./body-end.js";
import type { DenyList } from "./deny.js";
import { rawErrorAnswer } from "./error-body.js";
import { ProxyErrors } from "./errors.js";
import type { FastLaneCounts, FastLaneOptions } from "./fast-lane-types.js";
import type { ProxyGate } from "./gate.js";
import { handOver, linger } from "./hand-over.js";
import {
  HEAD_END,
  MAX_REQUEST_HEAD,
  MAX_RESPONSE_HEAD,
  readPlainRequest,
  readResponseHead,
  type PlainRequest,
  type ResponseHead,
} from "./http1.js";
import type { UpstreamConnection, UpstreamPool, UpstreamUser } from "./upstream-pool.js";

/** Timeouts in ticks of the lane's clock. */
export interface Ticks {
  readonly idle: number;
  readonly upstream: number;
}

/** What a client connection reads of the fast lane it belongs to. */
export interface LaneContext {
  readonly opts: FastLaneOptions;
  readonly deps: { gate: ProxyGate; deny: DenyList; logger: Logger };
  readonly counts: FastLaneCounts;
  /** The current tick of the lane's clock. */
  readonly tick: number;
  readonly closing: boolean;
}

// Pipelined requests buffered while one is answered, beyond which the client is not read until it is.
const MAX_BUFFERED = 64 * 1024;
const CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n";
// Body bytes that go out in one buffer with their answer's head; more are written beside it, not copied.
const SMALL_BODY = 16 * 1024;

// Where a client connection is: waiting for a request head, serving a request, handed over, or finished.
const State = { Head: 0, Request: 1, HandedOver: 2, Done: 3 } as const;

/** One client connection: reads request heads, forwards plain requests one at a time, passes the answers back. */
export class ClientConnection implements UpstreamUser {
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
  #body: BodyEnd | undefined;
  #responseStarted = false;
  #closeAfter = false;
  // The answer under way told the client that its connection ends with it.
  #closeClient = false;

  constructor(
    readonly client: Socket,
    readonly lane: LaneContext,
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
    // The answer's head as the client gets it, written before the first bytes of its body.
    let headText: string | undefined;
    if (this.#responseHead === undefined) {
      const bytes = this.#responseHeadBytes === undefined ? chunk : Buffer.concat([this.#responseHeadBytes, chunk]);
      const end = bytes.indexOf(HEAD_END);
      if (end === -1) {
        if (bytes.length > MAX_RESPONSE_HEAD) this.#upstreamFailed(new Error("the node answered with an oversized head"));
        // Copied when it is the read buffer itself, which the next read uses again.
        else this.#responseHeadBytes = bytes === chunk ? Buffer.from(bytes) : bytes;
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
        this.client.write(`${head.forward}\r\n`, "latin1");
        if (from < chunk.length) this.onUpstreamData(chunk.subarray(from));
        return;
      }
      this.#responseHead = head;
      this.#body = new BodyEnd(head.framing);
      // The client's connection ends after this answer when it asked, when the answer ends with the connection, or at
      // shutdown; the node's own close is its connection's alone.
      this.#closeClient = (this.#request as PlainRequest).close || head.framing.kind === "close" || this.#closeAfter || this.lane.closing;
      headText = `${head.forward}${this.#closeClient ? "connection: close\r\n" : ""}\r\n`;
    }
    let end: number;
    try {
      end = (this.#body as BodyEnd).feed(chunk, from);
    } catch (error) {
      this.#upstreamFailed(error as Error);
      return;
    }
    const to = end === -1 ? chunk.length : end;
    const out = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
    this.#responseStarted = true;
    const flowing = headText === undefined ? this.#writeBody(out) : this.#writeWithHead(headText, out);
    if (!flowing) this.#upstream?.socket.pause();
    // Bytes past the end of the answer were never asked for: the connection is not used again.
    if (end !== -1) this.#responseDone(end === chunk.length);
  }

  // Writes an answer's head and the first bytes of its body in one go: copied into one buffer when they are few,
  // corked into one writev when they are many. Returns false when the client should be waited for.
  #writeWithHead(head: string, body: Buffer): boolean {
    if (body.length <= SMALL_BODY) {
      const length = Buffer.byteLength(head, "latin1");
      const bytes = Buffer.allocUnsafe(length + body.length);
      bytes.write(head, 0, "latin1");
      body.copy(bytes, length);
      return this.client.write(bytes);
    }
    this.client.cork();
    this.client.write(head, "latin1");
    const flowing = this.#writeBody(body);
    this.client.uncork();
    return flowing;
  }

  // Writes bytes of the node's read buffer as they are; the buffer goes back to the pool once they are out.
  #writeBody(bytes: Buffer): boolean {
    this.#upstream?.keep();
    return this.client.write(bytes, (error) => {
      if (error === undefined || error === null) this.pool.recycle(bytes);
    });
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
    const upstream = this.#upstream;
    this.#upstream = undefined;
    // The node answered before the whole request body arrived: the rest can go nowhere, so the connection ends.
    if (this.#bodyLeft > 0) this.#closeAfter = true;
    if (upstream !== undefined) this.pool.release(upstream, reusable && !head.close && this.#bodyLeft === 0, this.lane.tick);
    this.#responseHead = undefined;
    this.#body = undefined;
    this.#responseStarted = false;
    this.#request = undefined;
    if (this.#closeAfter || this.#closeClient || this.lane.closing) {
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
    // The answer is with the kernel and the client sent nothing past its request: close now, as nginx does, without a
    // half close first (a shutdown, then a close once it is out: 101-102 µs of CPU a `Connection: close` request,
    // against 84-92 µs without). The kernel still sends what it holds, then the FIN.
    if (last === undefined && this.#pending === undefined && this.#bodyLeft === 0 && this.client.writableLength === 0) {
      this.client.destroy();
      return;
    }
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
    this.client.off("data", this.#onClientData);
    const pending = this.#pending;
    this.#pending = undefined;
    handOver(this.client, pending, this.lane.opts.fullProxy());
  }
}
