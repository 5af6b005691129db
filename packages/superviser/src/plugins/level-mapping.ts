import { type LineWriter, type Logger, type LogLine, type LogOutput, type LogPlugin, lineWriterOf, logOutputOf } from "@manageos/core";
import type { Level } from "pino";
import type { DropsLines, LineDrop, StreamName } from "../lines/line-stats.js";

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

// Lines dropped since the log output fell behind, until it catches up.
interface Episode {
  readonly since: number;
  readonly dropped: Record<StreamName, number>;
}

/**
 * Re-emits every child line into the daemon's log with `{module}` and the mapped level, as pino writes it (by the
 * logger's LineWriter when it has one, stamped with the time the line was read; through pino otherwise). While the log output is behind (its
 * consumer does not keep up), a line is dropped and counted rather than added to it, so neither the daemon's memory
 * nor the node waits on the log; once the output has caught up, one warn says how many were dropped. A deep-mind line
 * on stdout (`log.deepMindLines`) waits for the output instead: stdout then pauses, bounded by the plugin's queue.
 */
export class LevelMappingPlugin implements LogPlugin, DropsLines {
  readonly name = "level-mapping";
  private readonly logger: Logger;
  // One child per pipe, `stream` bound once: pino then serialises no object per line.
  private readonly byStream: Record<StreamName, Logger>;
  // The same lines written without pino's per-call work, when the logger allows it (JSON on the LogOutput).
  private readonly writers: Record<StreamName, LineWriter> | undefined;
  private readonly pipelineLogger: Logger;
  private readonly output: LogOutput | undefined;
  private readonly deepMindLines: boolean;
  private readonly dropped: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private episode: Episode | undefined;

  constructor(
    private readonly opts: LevelMappingOptions,
    deps: { logger: Logger },
  ) {
    this.logger = deps.logger.child({ module: opts.module });
    this.byStream = { stdout: this.logger.child({ stream: "stdout" }), stderr: this.logger.child({ stream: "stderr" }) };
    const stdout = lineWriterOf(this.byStream.stdout);
    const stderr = lineWriterOf(this.byStream.stderr);
    this.writers = stdout !== undefined && stderr !== undefined ? { stdout, stderr } : undefined;
    this.pipelineLogger = deps.logger.child({ module: "lines" });
    this.output = logOutputOf(deps.logger);
    this.deepMindLines = opts.deepMindLines ?? false;
  }

  /** Maps and logs one line; costs a level check only when the level is off. */
  handle(line: LogLine): void | Promise<void> {
    const text = line.text;
    // 'D' first: a cheap test before startsWith on every line.
    const deepMind = text.charCodeAt(0) === 68 && text.startsWith("DMLOG ");
    if (deepMind && !this.deepMindLines) return;
    const level = this.opts.map(line);
    if (level === "silent" || !this.logger.isLevelEnabled(level)) return;
    if (this.output?.behind === true) {
      if (deepMind && line.stream === "stdout") return this.output.caughtUp().then(() => this.emit(level, line));
      this.drop(line.stream);
      return;
    }
    this.emit(level, line);
  }

  /** The child exited: an episode still open is reported now, with what it dropped so far. */
  flush(): void {
    if (this.episode !== undefined) this.report(this.episode);
  }

  /** Lines dropped because the log output was behind, by pipe. */
  droppedLines(): readonly LineDrop[] {
    return [
      { stream: "stdout", reason: "log-behind", count: this.dropped.stdout },
      { stream: "stderr", reason: "log-behind", count: this.dropped.stderr },
    ];
  }

  private emit(level: Level, line: LogLine): void {
    if (this.writers !== undefined) {
      this.writers[line.stream].write(level, line.text, line.receivedAt, line.truncated);
      return;
    }
    const logger = this.byStream[line.stream];
    if (line.truncated) logger[level]({ truncated: true }, line.text);
    else logger[level](line.text);
  }

  // Counts a dropped line; the first of an episode waits for the output to catch up, to report the episode.
  private drop(stream: StreamName): void {
    this.dropped[stream]++;
    let episode = this.episode;
    if (episode === undefined) {
      episode = { since: Date.now(), dropped: { stdout: 0, stderr: 0 } };
      this.episode = episode;
      const started = episode;
      void this.output?.caughtUp().then(() => this.report(started));
    }
    episode.dropped[stream]++;
  }

  // One warn per episode, once it is over: how many lines the log lost, and for how long.
  private report(episode: Episode): void {
    if (this.episode !== episode) return;
    this.episode = undefined;
    const { stdout, stderr } = episode.dropped;
    this.pipelineLogger.warn(
      { dropped: stdout + stderr, stdout, stderr, seconds: (Date.now() - episode.since) / 1000 },
      `the log output could not keep up: ${stdout + stderr} lines of the ${this.opts.module} output were dropped (counted in manageos_node_lines_dropped_total)`,
    );
  }
}
