import type { LogLine } from "@manageos/core";
import { toPinoLevel } from "@manageos/core";
import type { Level } from "pino";

// `INFO [11-22|10:00:00.000] Imported new chain segment  number=123 hash=0x12ab..`
const PREFIX = /^(TRACE|DEBUG|INFO|WARN|ERROR|CRIT)\s*\[/;

/** geth messages at info that recur every block; manageos logs them at debug. */
export const GETH_DEMOTED: readonly string[] = [
  "Imported new chain segment",
  "Imported new potential chain segment",
  "Chain head was updated",
  "Commit new sealing work",
  "Successfully sealed new block",
  "Looking for peers",
];

/** The level of a geth log line; undefined for continuation lines. */
export function gethLineLevel(text: string): Level | undefined {
  const m = PREFIX.exec(text);
  return m === null ? undefined : toPinoLevel(m[1] as string);
}

/** Maps geth lines to pino levels; continuation lines take the level before them. */
export function createGethLevelMapper(): (line: LogLine) => Level {
  const previous: Record<LogLine["stream"], Level> = { stdout: "info", stderr: "info" };
  return (line) => {
    const level = gethLineLevel(line.text);
    if (level === undefined) return previous[line.stream];
    previous[line.stream] = level;
    if (level === "info" && GETH_DEMOTED.some((d) => line.text.includes(d))) return "debug";
    return level;
  };
}
