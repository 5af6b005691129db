import { defineError } from "../errors/catalogue.js";

/** Errors the public proxy answers with. */
export const ProxyErrors = {
  closed: defineError("PRX_ERR_CLOSED", 503, (reasons: string) => `the node's API is closed: ${reasons}`),
  denied: defineError("PRX_ERR_DENIED", 403, (path: string) => `${path} is an admin API and is not served on the public port`),
  upstream: defineError("PRX_ERR_UPSTREAM", 502, (reason: string) => `the node did not answer: ${reason}`),
  upstreamTimeout: defineError("PRX_ERR_UPSTREAM_TIMEOUT", 504, () => "the node did not answer in time"),
};
