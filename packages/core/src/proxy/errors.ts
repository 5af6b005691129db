import { defineError } from "../errors/catalogue.js";

/** Errors the public proxy answers with. */
export const ProxyErrors = {
  closed: defineError("PRX_ERR_CLOSED", 503, (reasons: string) => `the node's API is closed: ${reasons}`),
  denied: defineError("PRX_ERR_DENIED", 403, (path: string) => `${path} is an admin API and is not served on the public port`),
  upstream: defineError("PRX_ERR_UPSTREAM", 502, (reason: string) => `the node did not answer: ${reason}`),
  upstreamTimeout: defineError("PRX_ERR_UPSTREAM_TIMEOUT", 504, () => "the node did not answer in time"),
  badRequest: defineError("PRX_ERR_BAD_REQUEST", 400, (reason: string) => `the request is malformed: ${reason}`),
  headersTooLarge: defineError("PRX_ERR_HEADERS_TOO_LARGE", 431, (limit: number) => `the request's head is larger than ${limit} bytes`),
  bodyTooLarge: defineError(
    "PRX_ERR_BODY_TOO_LARGE",
    413,
    (limit: number) => `the request's body is larger than ${limit} bytes (proxy.maxBodySize)`,
  ),
  requestTimeout: defineError("PRX_ERR_REQUEST_TIMEOUT", 408, () => "the request did not arrive in time"),
  expectation: defineError("PRX_ERR_EXPECTATION", 417, (expect: string) => `Expect: ${expect} is not supported; only 100-continue is`),
  method: defineError("PRX_ERR_METHOD", 405, (method: string) => `${method} is not forwarded to the node`),
  internal: defineError("PRX_ERR_INTERNAL", 500, (reason: string) => `the proxy failed: ${reason}`),
};
