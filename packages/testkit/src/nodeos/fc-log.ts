import type { LogLayout } from "./log-layout.js";

/** fc log levels as nodeos prints them. */
export type FcLevel = "debug" | "info" | "warn" | "error";

const SYSLOG_PRIORITY: Record<FcLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/** Where a message comes from, as fc prints it: thread, file:line, method. */
export interface FcSite {
  readonly thread?: string;
  readonly file: string;
  readonly line: number;
  readonly method: string;
}

/** Formats nodeos' fc console appender lines on a writable stream. */
export class FcLogger {
  constructor(
    private readonly layout: LogLayout,
    private readonly syslog: boolean,
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Emits one line: `LEVEL TIMESTAMP THREAD FILE:LINE METHOD ] MESSAGE`. */
  log(level: FcLevel, site: FcSite, message: string): void {
    const thread = this.layout === "legacy" ? "thread-0" : (site.thread ?? "nodeos");
    const prefix = this.syslog ? `<${SYSLOG_PRIORITY[level]}>` : "";
    const where = `${site.file}:${site.line}`;
    this.write(
      `${prefix}${level.padEnd(5)} ${formatTime(this.now())} ${thread.padEnd(9)} ${where.padEnd(29)} ${site.method.padEnd(20)} ] ${message}\n`,
    );
  }

  /** The log layout, for messages whose wording differs between versions. */
  get legacy(): boolean {
    return this.layout === "legacy";
  }
}

/** nodeos' time format: `YYYY-MM-DDTHH:MM:SS.sss`, UTC, no zone suffix. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}
