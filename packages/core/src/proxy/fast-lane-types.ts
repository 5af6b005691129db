// The fast lane's options and counts, shared by the lane and its client connections.
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

/** What the fast lane did, for tests and benchmarks. */
export interface FastLaneCounts {
  /** Requests it forwarded itself. */
  forwarded: number;
  /** Connections it passed to the full proxy. */
  handedOver: number;
}
