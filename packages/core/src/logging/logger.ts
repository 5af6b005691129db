import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";
import pretty from "pino-pretty";

/** How a logger is made: the config's `log` section plus where lines go. */
export interface LoggerSettings {
  level?: string;
  /** `auto`: pretty on a TTY, JSON otherwise. */
  format?: "auto" | "json" | "pretty";
  /** Defaults to stdout. */
  destination?: DestinationStream;
  /** Fields on every line (app, hostname). */
  base?: Record<string, unknown>;
}

export type { Logger };

/** The manageos pino logger: JSON in production, pretty on a terminal, ISO times, `err` serialised. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    base: settings.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
  };
  const destination = settings.destination ?? pino.destination({ dest: 1, sync: false });
  const usePretty =
    settings.format === "pretty" ||
    (settings.format !== "json" && settings.destination === undefined && process.stdout.isTTY === true);
  if (usePretty) {
    return pino(options, pretty({ destination: settings.destination ?? 1, translateTime: "SYS:standard", sync: true }));
  }
  return pino(options, destination);
}

/** A child logger for one part of manageos: every line says `module`. */
export function moduleLogger(logger: Logger, module: string, bindings: Record<string, unknown> = {}): Logger {
  return logger.child({ module, ...bindings });
}
