import type { Route } from "./server.js";

/**
 * A simulator-only path (NODEOS_SIM_LARGE_BODY_BYTES): answers every request with a JSON body of exactly `bytes`
 * bytes (at least 13), as a large get_block or get_table_rows answer would be, encoded once at start so that its cost
 * is the sending alone. The text cycles through the alphabet, so that a byte moved or lost shows.
 */
export function largeBodyRoute(bytes: number): [string, Route] {
  const prefix = '{"bytes":"';
  const suffix = '"}';
  const fill = Math.max(1, bytes - prefix.length - suffix.length);
  const letters = Buffer.alloc(fill);
  for (let i = 0; i < fill; i++) letters[i] = 97 + (i % 26);
  const encoded = Buffer.concat([Buffer.from(prefix), letters, Buffer.from(suffix)]);
  return ["/v1/sim/large_body", () => ({ status: 200, body: undefined, encoded })];
}
