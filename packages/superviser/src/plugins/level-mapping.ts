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
  /**
   * Drop stderr lines read while the reader is behind the node (`LogLine.backlogged`), so that the node's log writes
   * wait far less on manageos; default true. False logs every line and holds the node back instead (benchmarks).
   */
  dropBacklogged?: boolean;
}

// A reader-behind episode ends once no line was dropped for this long.
const READER_EPISODE_QUIET_MS = 1_000;

type LossReason = "log-behind" | "reader-behind";

// Lines dropped since the log output (or the reader) fell behind, until it caught up.
interface Episode {
  readonly reason: LossReason;
  readonly since: number;
  readonly dropped: Record<StreamName, number>;
}

// A reader-behind episode is over a while after its last drop.
interface ReaderEpisode extends Episode {
  lastDrop: number;
}

/**
 * Re-emits every child line into the daemon's log with `{module}` and the mapped level, as pino writes it (by the
 * logger's LineWriter when it has one, stamped with the time the line was read; through pino otherwise). While the log output is behind (its
 * consumer does not keep up), a line is dropped and counted rather than added to it, so neither the daemon's memory
 * nor the node waits on the log; once the output has caught up, one warn says how many were dropped. A deep-mind line
 * on stdout (`log.deepMindLines`) waits for the output instead: stdout then pauses, bounded by the plugin's queue.
 * Likewise a stderr line read while the reader is behind the node (`backlogged`: the node writes faster than lines
 * are logged) is dropped and counted, and one warn follows once no line was dropped for a second. Either way only a
 * line that would have been logged counts as dropped.
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
  private readonly dropBacklogged: boolean;
  private readonly dropped: Record<LossReason, Record<StreamName, number>> = {
    "log-behind": { stdout: 0, stderr: 0 },
    "reader-behind": { stdout: 0, stderr: 0 },
  };
  private episode: Episode | undefined;
  private readerEpisode: ReaderEpisode | undefined;
  private readerTimer: NodeJS.Timeout | undefined;

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
    this.dropBacklogged = opts.dropBacklogged ?? true;
  }

  /** Maps and logs one line; costs a level check only when the level is off. */
  handle(line: LogLine): void | Promise<void> {
    const text = line.text;
    // 'D' first: a cheap test before startsWith on every line.
    const deepMind = text.charCodeAt(0) === 68 && text.startsWith("DMLOG ");
    if (deepMind && !this.deepMindLines) return;
    const level = this.opts.map(line);
    if (level === "silent" || !this.logger.isLevelEnabled(level)) return;
    if (line.backlogged === true && this.dropBacklogged) {
      this.dropBehindNode(line);
      return;
    }
    if (this.output?.behind === true) {
      if (deepMind && line.stream === "stdout") return this.output.caughtUp().then(() => this.emit(level, line));
      this.drop(line.stream);
      return;
    }
    this.emit(level, line);
  }

  /** The child exited: an episode still open is reported now, with what it dropped so far. */
  flush(): void {
    if (this.episode !== undefined) this.report(this.episode, Date.now());
    if (this.readerEpisode !== undefined) this.report(this.readerEpisode, this.readerEpisode.lastDrop);
  }

  /** Lines dropped because the log output, or the reader, was behind, by pipe. */
  droppedLines(): readonly LineDrop[] {
    const drops: LineDrop[] = [];
    for (const reason of ["log-behind", "reader-behind"] as const) {
      for (const stream of ["stdout", "stderr"] as const) drops.push({ stream, reason, count: this.dropped[reason][stream] });
    }
    return drops;
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
    this.dropped["log-behind"][stream]++;
    let episode = this.episode;
    if (episode === undefined) {
      episode = { reason: "log-behind", since: Date.now(), dropped: { stdout: 0, stderr: 0 } };
      this.episode = episode;
      const started = episode;
      void this.output?.caughtUp().then(() => this.report(started, Date.now()));
    }
    episode.dropped[stream]++;
  }

  // Counts a line dropped because the reader is behind the node; the episode is reported once drops stop a while.
  // Millions of lines in a burst: the pipe's counter is chosen by a comparison, not looked up by name.
  private dropBehindNode(line: LogLine): void {
    let episode = this.readerEpisode;
    if (episode === undefined) {
      episode = { reason: "reader-behind", since: line.receivedAt, lastDrop: line.receivedAt, dropped: { stdout: 0, stderr: 0 } };
      this.readerEpisode = episode;
      this.watchReaderEpisode(READER_EPISODE_QUIET_MS);
    }
    episode.lastDrop = line.receivedAt;
    const total = this.dropped["reader-behind"];
    if (line.stream === "stderr") {
      total.stderr++;
      episode.dropped.stderr++;
    } else {
      total.stdout++;
      episode.dropped.stdout++;
    }
  }

  // Reports the reader-behind episode once no line was dropped for READER_EPISODE_QUIET_MS.
  private watchReaderEpisode(ms: number): void {
    this.readerTimer = setTimeout(() => {
      this.readerTimer = undefined;
      const episode = this.readerEpisode;
      if (episode === undefined) return;
      const quiet = Date.now() - episode.lastDrop;
      if (quiet >= READER_EPISODE_QUIET_MS) this.report(episode, episode.lastDrop);
      else this.watchReaderEpisode(READER_EPISODE_QUIET_MS - quiet);
    }, ms).unref();
  }

  // One warn per episode, once it is over (at `endedAt`): how many lines the log lost, why, and for how long.
  private report(episode: Episode, endedAt: number): void {
    if (episode.reason === "log-behind") {
      if (this.episode !== episode) return;
      this.episode = undefined;
    } else {
      if (this.readerEpisode !== episode) return;
      this.readerEpisode = undefined;
      clearTimeout(this.readerTimer);
      this.readerTimer = undefined;
    }
    const { stdout, stderr } = episode.dropped;
    const dropped = stdout + stderr;
    const what =
      episode.reason === "log-behind"
        ? "the log output could not keep up"
        : `${this.opts.module} wrote its log faster than manageos could log it`;
    this.pipelineLogger.warn(
      {
        reason: episode.reason,
        dropped,
        stdout,
        stderr,
        seconds: (endedAt - episode.since) / 1000,
      },
      `${what}: ${dropped} lines of the ${this.opts.module} output were dropped (counted in manageos_node_lines_dropped_total)`,
    );
  }
}
