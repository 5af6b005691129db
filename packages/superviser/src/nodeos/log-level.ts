import type { LogLine } from "@manageos/core";
import { toPinoLevel } from "@manageos/core";
import type { Level } from "pino";
import { NeedleSet } from "./substring.js";

// fc's level words, each followed by a space, by first letter: a line costs a lookup and a few character comparisons.
// Dense (every index of 0-127 set): an array given only indexes 97 to 119 is a dictionary, a hash lookup a line.
const WORDS: (readonly [string, Level] | undefined)[] = new Array(128).fill(undefined);
for (const [word, level] of [
  ["debug ", "debug"],
  ["info ", "info"],
  ["warn ", "warn"],
  ["error ", "error"],
  ["all ", "trace"],
] as const) {
  WORDS[word.charCodeAt(0)] = [word, level];
}

/**
 * nodeos messages that recur every block or slot and are no person's business; manageos logs them at debug
 * (block events and metrics carry the information). Matched as substrings of lines at `level`.
 */
export const NODEOS_DEMOTED: readonly { level: Level; contains: string; why: string }[] = [
  { level: "info", contains: "Received block ", why: "one per block received (every 500 ms)" },
  { level: "info", contains: "Produced block ", why: "one per block we produce (12 per round); block events and counters carry them" },
  { level: "info", contains: "Speculative Block Created", why: "one per speculative block" },
  { level: "info", contains: "Block not applied to head", why: "recurring during sync" },
  { level: "info", contains: "requesting range", why: "net_plugin sync chatter" },
  { level: "info", contains: "Catching up with chain", why: "net_plugin sync chatter" },
  {
    level: "error",
    contains: "Not producing block because production is explicitly paused",
    why: "every slot of ours on a paused standby; the production state says it",
  },
];

// appbase writes its own warnings to stderr without an fc level: `APPBASE: Warning: The following configuration items ...`.
const APPBASE_WARNING = "APPBASE: Warning";

/** The level word or syslog severity at the start of a nodeos line; undefined when it has none. */
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
  const word = WORDS[text.charCodeAt(i)];
  if (word !== undefined && startsWithAt(text, word[0], i)) return word[1];
  return syslog;
}

// `text.startsWith(word, at)` for a word whose first character is known to match, without the call.
function startsWithAt(text: string, word: string, at: number): boolean {
  for (let k = 1; k < word.length; k++) if (text.charCodeAt(at + k) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Maps nodeos lines to pino levels. A line without an fc level word (appbase's warnings, plain stderr, EOSIO 1.3
 * and older, which printed none) is info, or warn for appbase's warnings: it never takes the level of the line
 * before it, so a line after an error is not an error.
 */
export function createNodeosLevelMapper(): (line: LogLine) => Level {
  const info = demotedAt("info");
  const error = demotedAt("error");
  return (line) => {
    const text = line.text;
    const level = nodeosLineLevel(text) ?? (text.startsWith(APPBASE_WARNING) ? "warn" : "info");
    if (level === "info") return info.heldBy(text, line.read) ? "debug" : level;
    if (level === "error") return error.heldBy(text, line.read) ? "debug" : level;
    return level;
  };
}

// The demoted messages of lines at `level`.
function demotedAt(level: Level): NeedleSet {
  return new NeedleSet(NODEOS_DEMOTED.filter((d) => d.level === level).map((d) => d.contains));
}
