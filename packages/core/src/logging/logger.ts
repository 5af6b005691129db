import { type DestinationStream, type Logger, type LoggerOptions, pino, symbols } from "pino";
import pretty from "pino-pretty";
import { LogOutput } from "./log-output.js";
import { isoTimeCached } from "./log-time.js";

/** How a logger is made: the config's `log` section plus where lines go. */
export interface LoggerSettings {
  level?: string;
  /** `auto`: pretty on a TTY, JSON otherwise. */
  format?: "auto" | "json" | "pretty";
  /** Defaults to a bounded LogOutput on stdout. */
  destination?: DestinationStream;
  /** Fields on every line (app, hostname). */
  base?: Record<string, unknown>;
}

export type { Logger };

/**
 * The manageos pino logger: JSON in production, pretty on a terminal, ISO times, `err` serialised. JSON goes to a
 * LogOutput on stdout: bounded, never blocking on a slow consumer, flushed by `flushLogger` before the process exits.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: settings.base ?? {},
    timestamp: isoTimeCached,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  const destination = settings.destination ?? new LogOutput();
  const usePretty =
    settings.format === "pretty" || (settings.format !== "json" && settings.destination === undefined && process.stdout.isTTY === true);
  if (usePretty) {
    return pino(options, pretty({ destination: settings.destination ?? 1, translateTime: "SYS:standard", sync: true }));
  }
  return pino(options, destination);
}

/** A child logger for one part of manageos: every line says `module`. */
export function moduleLogger(logger: Logger, module: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ module, ...bindings });
}

/** The LogOutput a logger (or any child of it) writes to; undefined for other destinations. */
export function logOutputOf(logger: Logger): LogOutput | undefined {
  const stream = (logger as unknown as Record<symbol, unknown>)[symbols.streamSym];
  return stream instanceof LogOutput ? stream : undefined;
}

/** Before the process exits: hands the logger's last lines to its consumer, waiting at most `timeoutMs`; false if it did not take them. */
export async function flushLogger(logger: Logger, timeoutMs: number): Promise<boolean> {
  return (await logOutputOf(logger)?.flush(timeoutMs)) ?? true;
}
