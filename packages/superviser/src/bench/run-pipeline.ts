import { createLogger, type Logger, type LogPlugin } from "@manageos/core";
import { LinePipeline } from "../lines/line-pipeline.js";
import { LineSplitter } from "../lines/line-splitter.js";
import { dropsLines } from "../lines/line-stats.js";
import { spawnChild } from "../process/spawn-child.js";
import { nodeosLogPlugins } from "./nodeos-plugins.js";

/** A child whose output is measured. */
export interface PipelineRunOptions {
  command: string;
  args?: readonly string[];
  env?: Record<string, string>;
  /** Where the nodeos plugins log; default a pino at info that formats like production and discards. */
  logger?: Logger;
  /** Plugins to run; default: the shipped nodeos plugins logging to `logger`. */
  plugins?: readonly LogPlugin[];
  /** For the default plugins: false logs every line even while the reader is behind the node. */
  dropBacklogged?: boolean;
  maxLineLength?: number;
  queueLines?: number;
}

/** What a run read. */
export interface PipelineRunResult {
  lines: number;
  bytes: number;
  truncated: number;
  /** Lines the plugins dropped (the log output behind, a full queue). */
  dropped: number;
  seconds: number;
  linesPerSecond: number;
  bytesPerSecond: number;
  exitCode: number | undefined;
}

// A logger that formats lines like production and throws them away.
function discardingLogger() {
  return createLogger({ level: "info", format: "json", destination: { write: () => undefined } });
}

/** Runs a child through the full line pipeline (default: nodeos plugins) and counts what it read. */
export async function runLinePipeline(opts: PipelineRunOptions): Promise<PipelineRunResult> {
  const logger = opts.logger ?? discardingLogger();
  const plugins = opts.plugins ?? nodeosLogPlugins({ logger, dropBacklogged: opts.dropBacklogged });
  const pipeline = new LinePipeline(
    plugins,
    { maxLineLength: opts.maxLineLength ?? 64 * 1024 * 1024, queueLines: opts.queueLines ?? 10_000 },
    { logger },
  );
  const started = process.hrtime.bigint();
  const { child, exited } = await spawnChild({ command: opts.command, args: opts.args ?? [], env: opts.env });
  pipeline.attach(child.stdout, "stdout");
  pipeline.attach(child.stderr, "stderr");
  const exit = await exited;
  await pipeline.drain(60_000);
  const s = pipeline.stats;
  let dropped = 0;
  for (const runner of pipeline.runners) {
    dropped += runner.dropped;
    if (dropsLines(runner.plugin)) for (const d of runner.plugin.droppedLines()) dropped += d.count;
  }
  return {
    ...result(
      s.lines.stdout + s.lines.stderr,
      s.bytes.stdout + s.bytes.stderr,
      s.truncated.stdout + s.truncated.stderr,
      started,
      exit.exitCode,
    ),
    dropped,
  };
}

/** The baseline: the same child read by a bare line splitter that only counts lines. */
export async function runBareSplitter(opts: PipelineRunOptions): Promise<PipelineRunResult> {
  let lines = 0;
  let bytes = 0;
  let truncated = 0;
  const count = (_: string, cut: boolean) => {
    lines++;
    if (cut) truncated++;
  };
  const started = process.hrtime.bigint();
  const { child, exited } = await spawnChild({ command: opts.command, args: opts.args ?? [], env: opts.env });
  const max = opts.maxLineLength ?? 64 * 1024 * 1024;
  const ends = [child.stdout, child.stderr].map((stream) => {
    const splitter = new LineSplitter(max, count);
    return new Promise<void>((resolve) => {
      stream?.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        splitter.push(chunk);
      });
      stream?.once("end", () => {
        splitter.end();
        resolve();
      });
    });
  });
  const exit = await exited;
  await Promise.all(ends);
  return { ...result(lines, bytes, truncated, started, exit.exitCode), dropped: 0 };
}

function result(
  lines: number,
  bytes: number,
  truncated: number,
  started: bigint,
  exitCode: number | undefined,
): Omit<PipelineRunResult, "dropped"> {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { lines, bytes, truncated, seconds, linesPerSecond: lines / seconds, bytesPerSecond: bytes / seconds, exitCode };
}
