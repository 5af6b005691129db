import { createServer, type AddressInfo, type Server } from "node:net";
import type { Logger } from "pino";
import { ClientConnection, type LaneContext, type Ticks } from "./client-connection.js";
import type { DenyList } from "./deny.js";
import type { ProxyGate } from "./gate.js";
import type { FastLaneCounts, FastLaneOptions } from "./fast-lane-types.js";
import { UpstreamPool } from "./upstream-pool.js";

export type { FastLaneCounts, FastLaneOptions } from "./fast-lane-types.js";

// A client connection waiting for a request is closed this long after it opened or had its last answer, whether the
// client sends nothing or only part of a head (fastify's keep-alive timeout).
const CLIENT_IDLE_MS = 72_000;
// Idle connections to the node kept for the next requests: as many as requests under way at once on a busy public
// port, so that a burst is not followed by connections closed and opened again.
const MAX_IDLE_UPSTREAM = 256;

/**
 * The public port's fast path: plain GET and POST requests, while the gate is open, go to the node through pooled
 * keep-alive connections with their bytes passed as they are (only Host is rewritten, the hop-by-hop fields of each
 * side kept to its own connection, `Expect: 100-continue` answered here, and a body over the limit refused with 413):
 * a client's `Connection: close` ends the client's connection, not the node's. Any connection carrying something
 * else (a denied or encoded path, a closed gate, chunked uploads, another Expect, Upgrade, another method or version,
 * anything malformed) is handed, bytes and all, to the full proxy, which answers it. Node's HTTP server costs about
 * twice the CPU per request of forwarding bytes, and the public port's throughput is bound by CPU.
 */
export class FastLane implements LaneContext {
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
