import type { Level } from "pino";

/** pino levels, lowest to highest. */
export const PINO_LEVELS: readonly Level[] = ["trace", "debug", "info", "warn", "error", "fatal"];

// syslog severities 0-7 (RFC 5424) as pino levels: emerg, alert, crit -> fatal/error; notice -> info.
const SYSLOG: readonly Level[] = ["fatal", "fatal", "error", "error", "warn", "info", "info", "debug"];

const WORDS: Record<string, Level> = {
  trace: "trace",
  all: "trace",
  debug: "debug",
  dbug: "debug",
  info: "info",
  notice: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  eror: "error",
  err: "error",
  crit: "fatal",
  critical: "fatal",
  fatal: "fatal",
  alert: "fatal",
  emerg: "fatal",
};

/** Maps a child's level word (any case, padded) or a syslog severity number to a pino level. */
export function toPinoLevel(level: string | number): Level | undefined {
  if (typeof level === "number") return SYSLOG[level];
  const word = level.trim().toLowerCase();
  if (/^\d$/.test(word)) return SYSLOG[Number(word)];
  return WORDS[word];
}
