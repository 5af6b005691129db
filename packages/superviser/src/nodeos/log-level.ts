import type { LogLine } from "@manageos/core";
import { toPinoLevel } from "@manageos/core";
import type { Level } from "pino";

const WORDS: Record<string, Level> = { debug: "debug", info: "info", warn: "warn", error: "error", all: "trace" };

/**
 * nodeos messages logged at info that recur every block or so; manageos logs them at debug
 * (block events and metrics carry the information). Matched as substrings of info lines.
 */
export const NODEOS_DEMOTED: readonly { contains: string; why: string }[] = [
  { contains: "Received block ", why: "one per block received (every 500 ms)" },
  { contains: "Produced block ", why: "one per block we produce (12 per round); block events and counters carry them" },
  { contains: "Speculative Block Created", why: "one per speculative block" },
  { contains: "Block not applied to head", why: "recurring during sync" },
  { contains: "requesting range", why: "net_plugin sync chatter" },
  { contains: "Catching up with chain", why: "net_plugin sync chatter" },
];

/** The level word or syslog severity at the start of a nodeos line; undefined for a continuation line. */
export function nodeosLineLevel(text: string): Level | undefined {
  let i = 0;
  let syslog: Level | undefined;
  // `<6>info  2023-...`: syslog severity prefix.
  if (text.charCodeAt(0) === 60 && text.charCodeAt(2) === 62) {
    const digit = text.charCodeAt(1) - 48;
    if (digit >= 0 && digit <= 7) {
      syslog = toPinoLevel(digit);
      i = 3;
    }
  }
  const space = text.indexOf(" ", i);
  if (space > i && space - i <= 5) {
    const word = WORDS[text.slice(i, space)];
    if (word !== undefined) return word;
  }
  return syslog;
}

/** Maps nodeos lines to pino levels: stateful, a continuation line takes the level of the line before it. */
export function createNodeosLevelMapper(): (line: LogLine) => Level {
  const previous: Record<LogLine["stream"], Level> = { stdout: "info", stderr: "info" };
  return (line) => {
    const text = line.text;
    let level = nodeosLineLevel(text);
    if (level === undefined) return previous[line.stream];
    previous[line.stream] = level;
    if (level === "info") {
      for (const d of NODEOS_DEMOTED) {
        if (text.includes(d.contains)) {
          level = "debug";
          break;
        }
      }
    }
    return level;
  };
}
