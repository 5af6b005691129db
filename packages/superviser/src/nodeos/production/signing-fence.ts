import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import type { ProductionMetrics, SignResult } from "./metrics.js";

/** Whether this node may sign a block now, and why not. */
export type SigningVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Where the fence listens and where it forwards. */
export interface SigningFenceOptions {
  /** Loopback `host:port` nodeos posts its signature requests to (port 0: any free port). */
  readonly listen: string;
  /** The blocksigner's base URL (keosd wallet API). */
  readonly upstream: string;
  /** Longest wait for the blocksigner, ms; nodeos gives up on its own after `keosd-provider-timeout`. */
  readonly upstreamTimeoutMs: number;
}

/** What the fence asks at every signature. */
export interface SigningFenceDeps {
  /** Asked when a request comes in and again when the blocksigner answered: both must allow. */
  readonly verdict: () => SigningVerdict;
  readonly logger: Logger;
  readonly metrics?: Pick<ProductionMetrics, "signRequests" | "signSeconds">;
}

// A digest and a public key in JSON: anything much larger is not a sign request.
const MAX_BODY = 4096;
const SIGN_PATH = "/v1/wallet/sign_digest";
const KEYS_PATH = "/v1/wallet/get_public_keys";

/**
 * The keosd endpoint nodeos signs blocks through in bp mode: it forwards `sign_digest` to the blocksigner only while
 * production is meant on this node (and, with etcd, while the producer lease is live). A frozen, dead or partitioned
 * manageos answers nothing, so its nodeos cannot sign.
 */
export class SigningFence {
  readonly #opts: SigningFenceOptions;
  readonly #deps: SigningFenceDeps;
  readonly #server: Server;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 8 });
  #upstream: URL;
  #url: string | undefined;
  #lastRefusal: string | undefined;

  constructor(opts: SigningFenceOptions, deps: SigningFenceDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#upstream = new URL(opts.upstream.replace(/\/+$/, ""));
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 60_000;
  }

  /** Forwards to another blocksigner from now on (a reload changed `bp.blocksigner`; nodeos restarts with its keys). */
  setUpstream(url: string): void {
    this.#upstream = new URL(url.replace(/\/+$/, ""));
  }

  /** The URL nodeos' `signature-provider = <key>=KEOSD:<url>` names, once listening. */
  get signUrl(): string | undefined {
    return this.#url === undefined ? undefined : `${this.#url}${SIGN_PATH}`;
  }

  /** Starts listening; resolves the base URL. */
  async listen(): Promise<string> {
    const colon = this.#opts.listen.lastIndexOf(":");
    const host = this.#opts.listen.slice(0, colon).replace(/^\[|\]$/g, "");
    const port = Number(this.#opts.listen.slice(colon + 1));
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    const addr = this.#server.address() as AddressInfo;
    this.#url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
    this.#deps.logger.info({ url: this.#url }, "signing fence listening");
    return this.#url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "POST" || (path !== SIGN_PATH && path !== KEYS_PATH)) {
      req.resume();
      reply(res, 404, walletError(404, "Not Found", 0, "exception", "Unknown Endpoint"));
      return;
    }
    readBody(req).then(
      (body) => {
        if (path === KEYS_PATH) {
          this.#forward(KEYS_PATH, body).then(
            (answer) => reply(res, answer.status, answer.body, true),
            (error: unknown) => reply(res, 502, walletError(502, "Bad Gateway", 0, "exception", (error as Error).message)),
          );
          return;
        }
        this.#sign(body, res, started);
      },
      () => reply(res, 400, walletError(400, "Invalid Request", 3200006, "invalid_http_request", "request body too large")),
    );
  }

  #sign(body: string, res: ServerResponse, started: bigint): void {
    const before = this.#deps.verdict();
    if (!before.allowed) {
      this.#refuse(res, before.reason);
      return;
    }
    this.#forward(SIGN_PATH, body).then(
      (answer) => {
        // The verdict may have changed while the blocksigner signed (a pause, a lost lease): the later one decides.
        const after = this.#deps.verdict();
        if (!after.allowed) {
          this.#refuse(res, after.reason);
          return;
        }
        if (answer.status !== 200) {
          this.#count("failed");
          this.#deps.logger.warn({ status: answer.status }, "the blocksigner did not sign a block digest");
          reply(res, answer.status, answer.body, true);
          return;
        }
        this.#count("signed");
        this.#deps.metrics?.signSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        reply(res, 200, answer.body, true);
      },
      (error: unknown) => {
        this.#count("failed");
        this.#deps.logger.warn({ err: error }, "the blocksigner could not be reached to sign a block digest");
        reply(res, 502, walletError(502, "Bad Gateway", 0, "exception", (error as Error).message));
      },
    );
  }

  #refuse(res: ServerResponse, reason: string): void {
    this.#count("refused");
    // nodeos asks at every slot of ours: say it once per reason, not once per block.
    if (reason !== this.#lastRefusal) {
      this.#lastRefusal = reason;
      this.#deps.logger.warn({ reason }, "refused to sign a block: production is not allowed on this node now");
    }
    reply(res, 403, walletError(403, "Forbidden", 0, "manageos_signing_fence", `manageos refuses to sign: ${reason}`));
  }

  #count(result: SignResult): void {
    if (result === "signed") this.#lastRefusal = undefined;
    this.#deps.metrics?.signRequests.inc({ result });
  }

  // One POST to the blocksigner over a kept-alive connection.
  #forward(path: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const upstream = request(
        {
          protocol: this.#upstream.protocol,
          hostname: this.#upstream.hostname,
          port: this.#upstream.port,
          path: `${this.#upstream.pathname.replace(/\/$/, "")}${path}`,
          method: "POST",
          agent: this.#agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          timeout: this.#opts.upstreamTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      upstream.on("timeout", () => upstream.destroy(new Error(`no answer within ${this.#opts.upstreamTimeoutMs} ms`)));
      upstream.on("error", reject);
      upstream.end(body);
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        reject(new Error("too large"));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, raw = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = raw ? String(body) : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

// keosd's error shape, which nodeos' http client reads.
function walletError(code: number, message: string, errCode: number, name: string, what: string): unknown {
  return {
    code,
    message,
    error: { code: errCode, name, what, details: [{ message: what, file: "", line_number: 0, method: "sign_digest" }] },
  };
}
