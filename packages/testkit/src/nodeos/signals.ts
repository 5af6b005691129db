import type { FcLogger } from "./fc-log.js";
import type { SimEnv } from "./sim-env.js";

const SITE = { file: "application.cpp", line: 280, method: "operator()" };

/**
 * Resolves when the node should stop: after a SIGTERM/SIGINT/SIGQUIT beyond the first
 * NODEOS_SIM_IGNORE_TERMS, plus NODEOS_SIM_TERM_DELAY_MS (a busy node takes a while).
 */
export function installSignals(env: SimEnv, log: FcLogger): Promise<void> {
  return new Promise((resolve) => {
    let ignored = 0;
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      if (ignored < env.ignoreTerms) {
        ignored++;
        log.log("warn", SITE, `received ${signal} while applying a block, not shutting down yet (${ignored}/${env.ignoreTerms})`);
        return;
      }
      stopping = true;
      log.log("info", SITE, `received ${signal}, shutting down`);
      setTimeout(resolve, env.termDelayMs);
    };
    for (const s of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) process.on(s, onSignal);
  });
}
