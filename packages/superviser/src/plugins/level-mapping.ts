import type { Logger, LogLine, LogPlugin } from "@manageos/core";
import type { Level } from "pino";

/** Gives the pino level a child's line is re-emitted at; `silent` drops it. */
export type LineLevelMapper = (line: LogLine) => Level | "silent";

/** Options of the level-mapping plugin. */
export interface LevelMappingOptions {
  /** `nodeos`, `geth`: the `module` of every re-emitted line. */
  module: string;
  map: LineLevelMapper;
  /** Re-emit `DMLOG ` lines too (`log.deepMindLines`); they are skipped otherwise. */
  deepMindLines?: boolean;
}

/** Re-emits every child line through pino with `{module}` and the mapped level. */
export class LevelMappingPlugin implements LogPlugin {
  readonly name = "level-mapping";
  private readonly logger: Logger;
  private readonly deepMindLines: boolean;

  constructor(
    private readonly opts: LevelMappingOptions,
    deps: { logger: Logger },
  ) {
    this.logger = deps.logger.child({ module: opts.module });
    this.deepMindLines = opts.deepMindLines ?? false;
  }

  /** Maps and logs one line; costs a level check only when the level is off. */
  handle(line: LogLine): void {
    const text = line.text;
    // 'D' first: a cheap test before startsWith on every line.
    if (!this.deepMindLines && text.charCodeAt(0) === 68 && text.startsWith("DMLOG ")) return;
    const level = this.opts.map(line);
    if (level === "silent" || !this.logger.isLevelEnabled(level)) return;
    this.logger[level]({ stream: line.stream, truncated: line.truncated || undefined }, text);
  }
}
