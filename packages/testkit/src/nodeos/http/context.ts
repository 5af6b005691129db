import type { SimChain } from "../chain.js";

/** What the API routes read and act on. */
export interface NodeContext {
  readonly chain: SimChain;
  readonly dataDir: string;
  readonly stateFile: string;
  readonly snapshotsDir: string;
  readonly serverVersion: string;
  readonly peers: string[];
  readonly plugins: readonly string[];
  /** Spring 1.x rather than leap 5. */
  readonly spring: boolean;
  /** Where the finkeys and finalizers tables live (finalizers.json). */
  readonly tablesDir: string;
  /** Public keys of each account's active permission. */
  readonly accounts: Readonly<Record<string, readonly string[]>>;
  /** Bytes of the body `/v1/sim/large_body` answers with; 0 serves no such path. */
  readonly largeBodyBytes: number;
}

/** The 8-hex-digit build hash nodeos reports as server_version. */
export function serverVersionHash(version: string): string {
  let h = 0x811c9dc5;
  for (const c of version) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}
