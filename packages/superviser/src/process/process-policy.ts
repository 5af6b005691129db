import type { Config } from "@manageos/core";
import type { SuperviserOptions } from "./superviser-types.js";

/** How a chain's node process is stopped, restarted and read: the part of SuperviserOptions every chain shares. */
export type ProcessPolicy = Pick<SuperviserOptions, "terminate" | "restart" | "maxLineLength" | "queueLines" | "keepLastLines">;

/** The process policy the validated config sets (`superviser.*`). */
export function processPolicy(config: Config): ProcessPolicy {
  const s = config.superviser;
  return {
    terminate: { termRetryInterval: s.termRetryInterval, killAfter: s.killAfter },
    restart: s.restart,
    maxLineLength: s.maxLineLength,
    queueLines: s.pluginQueueLines,
    keepLastLines: s.keepLastLines,
  };
}

/** The process policy part of a chain's options. */
export function policyOf(opts: ProcessPolicy): ProcessPolicy {
  const { terminate, restart, maxLineLength, queueLines, keepLastLines } = opts;
  return { terminate, restart, maxLineLength, queueLines, keepLastLines };
}
