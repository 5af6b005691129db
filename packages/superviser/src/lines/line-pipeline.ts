import type { Readable } from "node:stream";
import type { Logger, LogLine, LogPlugin } from "@manageos/core";
import { LineSplitter } from "./line-splitter.js";
import { createLineStats, type LineStats, type StreamName } from "./line-stats.js";
import { PluginRunner } from "./plugin-runner.js";

/** Lines other than deep-mind are log lines: cut at this many bytes unless told otherwise. */
export const MAX_LOG_LINE_LENGTH = 64 * 1024;

/**
 * What one read of a pipe returns at most (libuv reads a child's pipe 64 KiB at a time): a read that fills it found
 * more waiting.
 */
export const PIPE_READ_SIZE = 64 * 1024;

/** Limits of one pipeline. */
export interface LinePipelineOptions {
  /** Bytes of a deep-mind (`DMLOG `) line, which readers need whole; longer ones are cut and counted. */
  maxLineLength: number;
  /** Bytes of any other line (default MAX_LOG_LINE_LENGTH): longer ones are cut, the rest skipped, never held. */
  maxLogLineLength?: number;
  /** Lines each plugin may have waiting before it loses lines (lossy) or pauses the pipes. */
  queueLines: number;
}

/** What a pipeline needs from outside. */
export interface LinePipelineDeps {
  logger: Logger;
  /** Shared counters, so totals survive restarts of the child. */
  stats?: LineStats;
  now?: () => number;
}

/**
 * Reads a child's stdout and stderr, splits lines and hands them to plugins in order.
 * Backpressure: when a non-lossy plugin's queue is full, stdout is paused (the child then
 * blocks on its deep-mind writes, as nodeos does) until the queue is half empty. stderr is
 * never paused: nodeos logs there from its working threads (the producer's among them), so
 * its lines are lost and counted instead. Lossy plugins never pause anything. While stderr's reads keep coming back
 * full (the node writes faster than its lines are handled), its lines are marked `backlogged`, and the level mapping
 * drops them rather than log them: a reader that cannot keep up would otherwise hold the node's log threads back.
 */
export class LinePipeline {
  readonly stats: LineStats;
  readonly runners: readonly PluginRunner[];
  private readonly streams: { stream: Readable; name: StreamName }[] = [];
  private readonly ended: Promise<void>[] = [];
  private readonly splitters: Partial<Record<StreamName, LineSplitter>> = {};
  private readonly logger: Logger;
  private readonly maxLineLength: number;
  private readonly maxLogLineLength: number;
  private readonly now: () => number;
  private receivedAt = 0;
  private paused = false;
  // stderr: the last read was full, and whether the reader is behind (see noteStderrRead).
  private lastStderrReadFull = false;
  private stderrBacklogged = false;

  constructor(plugins: readonly LogPlugin[], opts: LinePipelineOptions, deps: LinePipelineDeps) {
    this.logger = deps.logger.child({ module: "lines" });
    this.stats = deps.stats ?? createLineStats();
    this.now = deps.now ?? Date.now;
    const hooks = {
      onRelief: () => this.maybeResume(),
      onError: (error: unknown, plugin: LogPlugin) => this.pluginFailed(error, plugin),
      now: this.now,
    };
    this.runners = plugins.map((plugin) => new PluginRunner(plugin, opts.queueLines, hooks));
    this.maxLineLength = opts.maxLineLength;
    this.maxLogLineLength = Math.min(opts.maxLogLineLength ?? MAX_LOG_LINE_LENGTH, opts.maxLineLength);
  }

  /** Starts reading one pipe. */
  attach(stream: Readable | null | undefined, name: StreamName): void {
    if (stream === null || stream === undefined) return;
    const splitter = this.splitterFor(name);
    this.streams.push({ stream, name });
    this.ended.push(
      new Promise((resolve) => {
        stream.once("end", resolve);
        stream.once("close", resolve);
        stream.once("error", (error) => {
          this.logger.warn({ err: error, stream: name }, "pipe error");
          resolve();
        });
      }),
    );
    stream.on("data", (chunk: Buffer) => {
      this.receivedAt = this.now();
      this.stats.bytes[name] += chunk.length;
      if (name === "stderr") this.noteStderrRead(chunk.length);
      splitter.push(chunk);
    });
  }

  // Two full reads in a row: the child wrote a read's worth while the last one was handled, so it outruns the reader
  // (one full read alone may follow a pause of the event loop). Over once a read comes back less than half full.
  private noteStderrRead(bytes: number): void {
    const full = bytes >= PIPE_READ_SIZE;
    if (full && this.lastStderrReadFull) this.stderrBacklogged = true;
    else if (bytes < PIPE_READ_SIZE / 2) this.stderrBacklogged = false;
    this.lastStderrReadFull = full;
  }

  /** Feeds bytes as if read from a pipe (for replaying captured output). */
  feed(chunk: Buffer, name: StreamName): void {
    this.receivedAt = this.now();
    this.stats.bytes[name] += chunk.length;
    this.splitterFor(name).push(chunk);
  }

  // One splitter per pipe, made on first use.
  private splitterFor(name: StreamName): LineSplitter {
    let splitter = this.splitters[name];
    if (splitter === undefined) {
      splitter = new LineSplitter({ deepMind: this.maxLineLength, other: this.maxLogLineLength }, (text, truncated, read) =>
        this.dispatch(name, text, truncated, read),
      );
      this.splitters[name] = splitter;
    }
    return splitter;
  }

  /** After the child exited: reads the pipes to their end (bounded), hands over every line, flushes plugins. */
  async drain(timeoutMs: number): Promise<void> {
    const timedOut = await withTimeout(Promise.all(this.ended), timeoutMs);
    if (timedOut) {
      // A grandchild may hold the pipe open; do not wait on it forever.
      this.logger.warn({ timeoutMs }, "pipes still open after the child exited; closing them");
      for (const { stream } of this.streams) stream.destroy();
    }
    for (const splitter of Object.values(this.splitters)) splitter.end();
    for (const runner of this.runners) {
      if (await withTimeout(runner.idle(), timeoutMs)) {
        this.logger.warn({ plugin: runner.plugin.name, queued: runner.queued }, "plugin did not finish its lines in time");
        continue;
      }
      try {
        await runner.plugin.flush?.();
      } catch (error) {
        this.pluginFailed(error, runner.plugin);
      }
    }
  }

  // One line: count it and offer it to every plugin, pausing stdout if one is congested.
  private dispatch(stream: StreamName, text: string, truncated: boolean, read: string | undefined): void {
    this.stats.lines[stream]++;
    if (truncated) {
      this.stats.truncated[stream]++;
      const maxLineLength = text.startsWith("DMLOG ") ? this.maxLineLength : this.maxLogLineLength;
      this.logger.warn({ stream, maxLineLength }, "line longer than the maximum; cut");
    }
    // A cut line is never marked: it is one line a read at most, and the reads after it carried only its rest.
    const backlogged = stream === "stderr" && this.stderrBacklogged && !truncated;
    const line: LogLine = { stream, text, truncated, receivedAt: this.receivedAt, backlogged, read };
    const runners = this.runners;
    let congested = false;
    for (let i = 0; i < runners.length; i++) {
      if (!(runners[i] as PluginRunner).offer(line)) congested = true;
    }
    if (congested && !this.paused) {
      this.paused = true;
      for (const s of this.streams) if (s.name === "stdout") s.stream.pause();
    }
  }

  // Resumes stdout once no non-lossy plugin is congested.
  private maybeResume(): void {
    if (!this.paused) return;
    for (const runner of this.runners) if (runner.congested) return;
    this.paused = false;
    for (const s of this.streams) if (s.name === "stdout") s.stream.resume();
  }

  // A plugin bug must not stop the pipeline; say so, not on every line.
  private pluginFailed(error: unknown, plugin: LogPlugin): void {
    const runner = this.runners.find((r) => r.plugin === plugin);
    const count = runner?.errors ?? 1;
    if (count <= 1 || count % 1000 === 0) this.logger.error({ err: error, plugin: plugin.name, count }, "log plugin failed on a line");
  }
}

// Resolves true when the promise did not settle within the time.
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([promise.then(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
