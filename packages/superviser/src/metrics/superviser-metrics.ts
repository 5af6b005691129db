import type { ChainState } from "@manageos/core";
import { Counter, Gauge, type Registry } from "prom-client";
import type { StreamName } from "../lines/line-stats.js";
import type { Superviser } from "../process/superviser.js";
import { EXIT_REASONS, exitReason } from "./exit-reason.js";
import { freeName } from "./replace-metric.js";

const STATES: readonly ChainState[] = ["stopped", "starting", "running", "stopping", "backoff", "crash-loop", "failed"];
const STREAMS: readonly StreamName[] = ["stdout", "stderr"];

/** What the superviser metrics know about the child before it runs. */
export interface SuperviserMetricsOptions {
  /** Exit codes the alerts watch (nodeos' dirty database): their exit counters start at zero. */
  readonly exitCodes?: readonly number[];
}

/**
 * Registers the superviser's metrics, read from it at scrape time (nothing on the line hot path). `opts.exitCodes`
 * start at zero so that the first exit with one of them is an increase.
 */
export function registerSuperviserMetrics(registry: Registry, superviser: Superviser, opts: SuperviserMetricsOptions = {}): void {
  const r = [registry];
  new Gauge({
    name: freeName(registry, "manageos_node_up"),
    help: "1 while the node process runs",
    registers: r,
    collect() {
      this.set(superviser.state === "running" ? 1 : 0);
    },
  });
  new Gauge({
    name: freeName(registry, "manageos_node_state"),
    help: "1 for the superviser's current state",
    labelNames: ["state"],
    registers: r,
    collect() {
      for (const state of STATES) this.set({ state }, superviser.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: freeName(registry, "manageos_node_crash_loop"),
    help: "1 while the node crashes repeatedly (crash count at or past the threshold)",
    registers: r,
    collect() {
      this.set(superviser.crashLoop ? 1 : 0);
    },
  });
  new Counter({
    name: freeName(registry, "manageos_node_restarts_total"),
    help: "Restarts after a crash",
    registers: r,
    collect() {
      this.reset();
      this.inc(superviser.restarts);
    },
  });
  const exits = new Counter({
    name: freeName(registry, "manageos_node_exits_total"),
    help: "Node process exits by exit code (or signal name)",
    labelNames: ["code"],
    registers: r,
  });
  for (const code of opts.exitCodes ?? []) exits.inc({ code: String(code) }, 0);
  superviser.on("exit", (exit) => exits.inc({ code: String(exit.exitCode ?? exit.signal ?? "unknown") }));
  new Gauge({
    name: freeName(registry, "manageos_node_last_exit_reason"),
    help: "1 for the reason of the last exit",
    labelNames: ["reason"],
    registers: r,
    collect() {
      const last = superviser.lastExit;
      for (const reason of EXIT_REASONS) this.set({ reason }, last !== undefined && exitReason(last) === reason ? 1 : 0);
    },
  });
  streamCounter(registry, "manageos_node_lines_read_total", "Lines read from the node", () => superviser.lineStats.lines);
  streamCounter(registry, "manageos_node_bytes_read_total", "Bytes read from the node", () => superviser.lineStats.bytes);
  streamCounter(
    registry,
    "manageos_node_lines_truncated_total",
    "Lines cut at the maximum line length",
    () => superviser.lineStats.truncated,
  );
  new Counter({
    name: freeName(registry, "manageos_node_lines_dropped_total"),
    help: "Lines of the node a log plugin lost rather than hold the node back: reason log-behind (the log output's consumer did not keep up), reader-behind (the node wrote faster than its lines are logged) or queue-full (the plugin did not)",
    labelNames: ["plugin", "stream", "reason"],
    registers: r,
    collect() {
      this.reset();
      for (const d of superviser.droppedLines()) this.inc({ plugin: d.plugin, stream: d.stream, reason: d.reason }, d.count);
    },
  });
  new Gauge({
    name: freeName(registry, "manageos_node_line_lag_seconds"),
    help: "How far behind the node's output each log plugin is",
    labelNames: ["plugin"],
    registers: r,
    collect() {
      for (const p of superviser.pluginStats()) this.set({ plugin: p.name }, p.lagSeconds);
    },
  });
}

// A counter by stream whose value is read from the pipeline's counters.
function streamCounter(registry: Registry, name: string, help: string, read: () => Record<StreamName, number>): void {
  new Counter({
    name: freeName(registry, name),
    help,
    labelNames: ["stream"],
    registers: [registry],
    collect() {
      this.reset();
      const values = read();
      for (const stream of STREAMS) this.inc({ stream }, values[stream]);
    },
  });
}
