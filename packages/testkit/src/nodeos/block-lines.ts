import type { SimBlock } from "./block.js";
import { type FcLogger, formatTime } from "./fc-log.js";

// Receive lines are printed only for blocks under 5 minutes old, or every 1000th while syncing.
const RECENT_MS = 5 * 60_000;

/** How a Spring 1.x node prints block lines: `confirmed` only before Savanna (Spring 1.0.2+ layout). */
export interface SpringLines {
  readonly savanna: boolean;
}

const APPLIED = { thread: "nodeos", file: "controller.cpp", line: 3900, method: "log_applied" };

/** Logs `Received block ...` in the layout of the node's version; skips old blocks like nodeos. */
export function logReceived(log: FcLogger, block: SimBlock, lib: number, nowMs: number, spring?: SpringLines): void {
  const latency = Math.max(0, Math.round(nowMs - block.timeMs));
  if (latency > RECENT_MS && block.num % 1000 !== 0) return;
  const head = `Received block ${block.id.slice(8, 24)}... #${block.num} @ ${formatTime(block.timeMs)} signed by ${block.producer}`;
  if (spring !== undefined) {
    log.log(
      "info",
      APPLIED,
      `${head} [trxs: 0, lib: ${lib}${confirmed(spring)}, net: 0, cpu: 100 us, elapsed: 50 us, applying time: 120 us, latency: ${latency} ms]`,
    );
    return;
  }
  if (log.legacy) {
    log.log(
      "info",
      { file: "producer_plugin.cpp", line: 345, method: "on_incoming_block" },
      `${head} [trxs: 0, lib: ${lib}, conf: 0, latency: ${latency} ms]`,
    );
    return;
  }
  log.log(
    "info",
    { file: "producer_plugin.cpp", line: 741, method: "on_incoming_block" },
    `${head} [trxs: 0, lib: ${lib}, confirmed: 0, net: 0, cpu: 100, elapsed: 50, time: 120, latency: ${latency} ms]`,
  );
}

/** Logs `Produced block ...` in the layout of the node's version. */
export function logProduced(log: FcLogger, block: SimBlock, lib: number, spring?: SpringLines): void {
  const head = `Produced block ${block.id.slice(8, 24)}... #${block.num} @ ${formatTime(block.timeMs)} signed by ${block.producer}`;
  if (spring !== undefined) {
    log.log(
      "info",
      APPLIED,
      `${head} [trxs: 0, lib: ${lib}${confirmed(spring)}, net: 0, cpu: 100 us, elapsed: 40 us, producing time: 90 us]`,
    );
    return;
  }
  if (log.legacy) {
    log.log("info", { file: "producer_plugin.cpp", line: 1628, method: "produce_block" }, `${head} [trxs: 0, lib: ${lib}, confirmed: 0]`);
    return;
  }
  log.log(
    "info",
    { thread: "prod-0", file: "producer_plugin.cpp", line: 2655, method: "produce_block" },
    `${head} [trxs: 0, lib: ${lib}, confirmed: 0, net: 0, cpu: 100, elapsed: 40, time: 90]`,
  );
}

function confirmed(spring: SpringLines): string {
  return spring.savanna ? "" : ", confirmed: 0";
}
