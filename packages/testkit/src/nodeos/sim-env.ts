import { basename } from "node:path";
import { type BurstSpec, readBurstSpec } from "./burst.js";

import type { LogLayout } from "./log-layout.js";

/** Log line layout: leap (`nodeos` thread, full receive stats) or EOSIO 1.x (`thread-0`, `conf:`). */
export type { LogLayout } from "./log-layout.js";

/** Simulator-only settings. nodeos refuses unknown options, so these come from `NODEOS_SIM_*` variables. */
export interface SimEnv {
  readonly blockIntervalMs: number;
  readonly termDelayMs: number;
  readonly ignoreTerms: number;
  readonly logLayout: LogLayout;
  readonly syslog: boolean;
  readonly clusterDir: string | undefined;
  readonly instance: string;
  readonly libLag: number;
  readonly portFile: string | undefined;
  readonly serverVersion: string;
  /** Spring 1.x (a `v1.x` NODEOS_SIM_VERSION outside the EOSIO 1.x legacy layout) instead of leap 5. */
  readonly spring: boolean;
  /** First block under Savanna finality on a Spring node (NODEOS_SIM_SAVANNA_FROM, default 1). */
  readonly savannaFrom: number;
  /** Bytes of the body `/v1/sim/large_body` answers with (NODEOS_SIM_LARGE_BODY_BYTES); 0, the default, serves no such path. */
  readonly largeBodyBytes: number;
  /** A burst of log lines after startup (NODEOS_SIM_BURST_*), for testing readers of the output under load. */
  readonly burst: BurstSpec | undefined;
}

/** True for a version string the simulator plays as Spring 1.x: `v1.0.2`, `v1.2.2`... */
export function isSpringVersion(version: string): boolean {
  return /^v1\.\d+/.test(version);
}

/** Reads the `NODEOS_SIM_*` variables; dataDir names the instance when NODEOS_SIM_INSTANCE is unset. */
export function readSimEnv(env: NodeJS.ProcessEnv, dataDir: string): SimEnv {
  const serverVersion = env.NODEOS_SIM_VERSION || "v5.0.3";
  const logLayout: LogLayout = env.NODEOS_SIM_LOG_LAYOUT === "legacy" ? "legacy" : "leap";
  return {
    blockIntervalMs: positive(env.NODEOS_SIM_BLOCK_INTERVAL_MS, 500),
    termDelayMs: nonNegative(env.NODEOS_SIM_TERM_DELAY_MS, 0),
    ignoreTerms: nonNegative(env.NODEOS_SIM_IGNORE_TERMS, 0),
    logLayout,
    syslog: env.NODEOS_SIM_SYSLOG === "1" || env.NODEOS_SIM_SYSLOG === "true",
    clusterDir: env.NODEOS_SIM_CLUSTER_DIR || undefined,
    instance: env.NODEOS_SIM_INSTANCE || basename(dataDir),
    libLag: nonNegative(env.NODEOS_SIM_LIB_LAG, 24),
    portFile: env.NODEOS_SIM_PORT_FILE || undefined,
    serverVersion,
    spring: logLayout !== "legacy" && isSpringVersion(serverVersion),
    savannaFrom: positive(env.NODEOS_SIM_SAVANNA_FROM, 1),
    largeBodyBytes: Math.floor(nonNegative(env.NODEOS_SIM_LARGE_BODY_BYTES, 0)),
    burst: readBurstSpec(env),
  };
}

function positive(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw !== undefined && raw !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

function nonNegative(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return raw !== undefined && raw !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
}
