import { EventEmitter } from "node:events";
import type { ChainState, Logger, LogPlugin } from "@manageos/core";
import { SuperviserErrors } from "../errors/index.js";
import { LinePipeline } from "../lines/line-pipeline.js";
import { createLineStats, dropsLines, type LineDrop, type LineStats, type StreamName } from "../lines/line-stats.js";
import { KeepLastLinesPlugin } from "../plugins/keep-last-lines.js";
import { backoffDelay } from "./backoff.js";
import { type Clock, systemClock } from "./clock.js";
import { isFailure, shouldRestart } from "./restart-policy.js";
import { type Child, type RawExit, spawnChild } from "./spawn-child.js";
import type { PluginStats, SuperviserDeps, SuperviserEventMap, SuperviserExit, SuperviserOptions } from "./superviser-types.js";
import { type TerminateOutcome, terminate } from "./terminate.js";

interface Run {
  child: Child;
  pid: number;
  exited: Promise<RawExit>;
  pipeline: LinePipeline;
  startedAt: number;
  requested: boolean;
  /** Reported failing by its reader (nodeos' dirty line): its end is a crash, even when a stop was asked for. */
  failed?: string;
  terminating?: Promise<TerminateOutcome>;
  done: Promise<SuperviserExit>;
}

/**
 * Owns one child process: starts it in its own process group, feeds its lines to plugins,
 * stops it with repeated TERM then KILL, and restarts it after a crash with exponential backoff.
 * A start asked for from outside after a crash (dirty recovery, a person) waits out the same backoff.
 */
export class Superviser extends EventEmitter<SuperviserEventMap> {
  state: ChainState = "stopped";
  /** Starts that followed a crash, in total, whoever asked for them. */
  restarts = 0;
  /** Crashes since the child last ran stably. */
  crashes = 0;
  lastExit: SuperviserExit | undefined;
  readonly lineStats: LineStats = createLineStats();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly plugins: readonly LogPlugin[];
  private readonly keepLast: KeepLastLinesPlugin;
  // Lines runners of ended runs lost to a full queue, by plugin and pipe.
  private readonly droppedTotals = new Map<string, Record<StreamName, number>>();
  private run: Run | undefined;
  private starting: Promise<void> | undefined;
  // When the last crash happened, until a start follows it: that start waits until its backoff has passed.
  private crashedAt: number | undefined;
  private pendingRestart: { promise: Promise<void>; cancel: () => void } | undefined;
  private stableTimer: unknown;
  private closed = false;

  constructor(
    private readonly opts: SuperviserOptions,
    deps: SuperviserDeps,
  ) {
    super();
    this.logger = deps.logger.child({ module: "superviser", child: opts.name });
    this.clock = deps.clock ?? systemClock;
    this.keepLast = new KeepLastLinesPlugin({ size: opts.keepLastLines });
    this.plugins = [this.keepLast, ...(deps.plugins ?? [])];
  }

  /** The running child's pid. */
  get pid(): number | undefined {
    return this.run?.pid;
  }

  /** True while the crash count is at or past the crash-loop threshold. */
  get crashLoop(): boolean {
    return this.crashes >= this.opts.restart.crashLoopThreshold;
  }

  /** Milliseconds since the running child started. */
  get uptimeMs(): number | undefined {
    return this.run === undefined ? undefined : this.clock.now() - this.run.startedAt;
  }

  /** The last lines printed, oldest first. */
  lastLines(): string[] {
    return this.keepLast.lines();
  }

  /** Dropped lines and lag per plugin, totals across restarts. */
  pluginStats(): PluginStats[] {
    const runners = this.run?.pipeline.runners ?? [];
    return this.plugins.map((plugin, i) => {
      const runner = runners[i];
      return {
        name: plugin.name,
        dropped: this.lineDrops(i).reduce((sum, d) => sum + d.count, 0),
        queued: runner?.queued ?? 0,
        lagSeconds: (runner?.lagMs ?? 0) / 1000,
      };
    });
  }

  /** Lines lost, by plugin, pipe and reason (a full queue, the log output behind), totals across restarts. */
  droppedLines(): (LineDrop & { plugin: string })[] {
    return this.plugins.flatMap((plugin, i) => this.lineDrops(i).map((d) => ({ plugin: plugin.name, ...d })));
  }

  // What the i-th plugin lost: its runners' full queues, and what it reports itself.
  private lineDrops(i: number): LineDrop[] {
    const plugin = this.plugins[i] as LogPlugin;
    const ended = this.droppedTotals.get(plugin.name) ?? { stdout: 0, stderr: 0 };
    const runner = this.run?.pipeline.runners[i];
    const drops: LineDrop[] = (["stdout", "stderr"] as const).map((stream) => ({
      stream,
      reason: "queue-full",
      count: ended[stream] + (runner?.droppedBy[stream] ?? 0),
    }));
    return dropsLines(plugin) ? [...drops, ...plugin.droppedLines()] : drops;
  }

  /**
   * Starts the child; resolves once it runs. After a crash it first waits out the backoff of that crash (counted
   * from the exit), in state `backoff` or `crash-loop`; a restart already scheduled is waited for.
   */
  async start(): Promise<void> {
    if (this.closed) throw SuperviserErrors.closed(this.opts.name);
    if (this.pendingRestart !== undefined) return this.pendingRestart.promise;
    if (this.state === "starting" || this.state === "running" || this.state === "stopping") {
      throw SuperviserErrors.state("start", this.state);
    }
    if (this.crashedAt !== undefined) {
      const delayMs = this.crashedAt + backoffDelay(this.crashes, this.opts.restart) - this.clock.now();
      if (delayMs > 0) {
        this.logBackoff(delayMs, "start waits out the restart backoff");
        return this.scheduleRestart(delayMs);
      }
    }
    await this.spawnOnce();
  }

  /** Stops the child (or a pending restart, whose start then rejects); resolves with how it ended, undefined if nothing ran. */
  async stop(): Promise<SuperviserExit | undefined> {
    if (this.pendingRestart !== undefined) {
      this.pendingRestart.cancel();
      this.setState("stopped");
      return undefined;
    }
    if (this.starting !== undefined) await this.starting.catch(() => undefined);
    const run = this.run;
    if (run === undefined) return undefined;
    if (!run.requested) {
      run.requested = true;
      this.setState("stopping");
      this.logger.info({ pid: run.pid }, "stopping");
      run.terminating = terminate(run.pid, run.exited, this.opts.terminate, { clock: this.clock, logger: this.logger });
    }
    return run.done;
  }

  /** Says the running child has failed (a reader saw it in its log): its exit counts as a crash even if stopped meanwhile. */
  reportFailure(reason: string): void {
    if (this.run !== undefined && this.run.failed === undefined) this.run.failed = reason;
  }

  /** Stops the child for good; start() is refused afterwards. */
  async close(): Promise<void> {
    await this.stop();
    this.closed = true;
  }

  // Computes the launch, spawns the child and wires its pipes.
  private spawnOnce(): Promise<void> {
    if (this.crashedAt !== undefined) {
      this.restarts++;
      this.crashedAt = undefined;
    }
    this.setState("starting");
    const starting = this.doSpawn().finally(() => {
      this.starting = undefined;
    });
    this.starting = starting;
    return starting;
  }

  private async doSpawn(): Promise<void> {
    let spawned: Awaited<ReturnType<typeof spawnChild>>;
    try {
      const launch = this.opts.launch;
      const spec = typeof launch === "function" ? await launch() : launch;
      spawned = await spawnChild(spec);
    } catch (error) {
      this.setState("failed");
      this.logger.error({ err: error }, "cannot start");
      this.emit("failure", error as Error);
      throw error;
    }
    const { child, exited } = spawned;
    const pid = child.pid as number;
    const pipeline = new LinePipeline(
      this.plugins,
      { maxLineLength: this.opts.maxLineLength, queueLines: this.opts.queueLines },
      { logger: this.logger, stats: this.lineStats, now: () => this.clock.now() },
    );
    pipeline.attach(child.stdout, "stdout");
    pipeline.attach(child.stderr, "stderr");
    const run: Run = { child, pid, exited, pipeline, startedAt: this.clock.now(), requested: false } as Run;
    run.done = this.watch(run);
    this.run = run;
    this.stableTimer = this.clock.setTimeout(() => this.markStable(), this.opts.restart.resetAfter);
    this.logger.info({ pid }, "started");
    this.setState("running");
    this.emit("spawn", pid);
  }

  // Waits for the child to end, reads its last lines, reports, and restarts if the policy says so.
  private async watch(run: Run): Promise<SuperviserExit> {
    const raw = await run.exited;
    await run.pipeline.drain(this.opts.drainTimeout ?? 10_000);
    const outcome = run.terminating === undefined ? undefined : await run.terminating;
    this.clock.clearTimeout(this.stableTimer);
    for (const runner of run.pipeline.runners) {
      const total = this.droppedTotals.get(runner.plugin.name) ?? { stdout: 0, stderr: 0 };
      this.droppedTotals.set(runner.plugin.name, {
        stdout: total.stdout + runner.droppedBy.stdout,
        stderr: total.stderr + runner.droppedBy.stderr,
      });
    }
    const result: SuperviserExit = {
      exitCode: raw.exitCode,
      signal: raw.signal,
      killed: outcome?.killed ?? false,
      timedOut: outcome?.timedOut ?? false,
      requested: run.requested,
      uptimeMs: this.clock.now() - run.startedAt,
    };
    this.run = undefined;
    this.lastExit = result;
    if (!this.closed && (run.failed !== undefined || this.isCrash(result))) this.countCrash(result);
    this.logExit(result);
    this.emit("exit", result);
    if (result.requested || this.closed) this.setState("stopped");
    else this.afterCrash(result);
    return result;
  }

  // Schedules a restart with backoff, or settles in stopped/failed, by policy.
  private afterCrash(result: SuperviserExit): void {
    const restart = this.opts.restart;
    if (!shouldRestart(result, restart)) {
      this.setState(isFailure(result) ? "failed" : "stopped");
      return;
    }
    const delayMs = backoffDelay(this.crashes, restart);
    this.logBackoff(delayMs, "restarting after backoff");
    this.scheduleRestart(delayMs).catch(() => undefined);
  }

  // Whether an exit counts as a crash: it ended by itself in failure (or to be restarted), or, asked to stop, it exited
  // with an error code of its own (nodeos answers TERM with 0; a dirty one exits 2 whatever is asked). A run reported
  // failing is a crash whatever its exit.
  private isCrash(result: SuperviserExit): boolean {
    if (!result.requested) return isFailure(result) || shouldRestart(result, this.opts.restart);
    return result.exitCode !== undefined && result.exitCode !== 0 && !result.killed;
  }

  // One more crash, after a fresh count when the child had run stably.
  private countCrash(result: SuperviserExit): void {
    if (result.uptimeMs >= this.opts.restart.resetAfter) this.crashes = 0;
    this.crashes++;
    this.crashedAt = this.clock.now();
  }

  // Waits `delayMs` in state backoff (crash-loop from the threshold), then spawns; rejects if stopped meanwhile.
  private scheduleRestart(delayMs: number): Promise<void> {
    const crashLoop = this.crashLoop;
    this.setState(crashLoop ? "crash-loop" : "backoff");
    this.emit("backoff", { attempt: this.crashes, delayMs, crashLoop });
    let cancel: () => void = () => undefined;
    const promise = new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pendingRestart = undefined;
        this.spawnOnce().then(resolve, reject);
      }, delayMs);
      cancel = () => {
        this.clock.clearTimeout(timer);
        this.pendingRestart = undefined;
        reject(SuperviserErrors.startCancelled(this.opts.name));
      };
    });
    this.pendingRestart = { promise, cancel };
    return promise;
  }

  // A restart waits: warn, or error in a crash loop (a person is needed).
  private logBackoff(delayMs: number, message: string): void {
    if (this.crashLoop) {
      this.logger.error({ crashes: this.crashes, delayMs, lastLines: this.lastLines().slice(-20) }, "crash loop");
    } else {
      this.logger.warn({ crashes: this.crashes, delayMs }, message);
    }
  }

  // The child ran long enough: forget earlier crashes.
  private markStable(): void {
    if (this.crashes > 0) this.logger.info({ crashes: this.crashes }, "running stably again; crash count reset");
    this.crashes = 0;
  }

  // Logs an exit at the level it deserves: asked for is info, a crash warn, a failure with no restart error.
  private logExit(result: SuperviserExit): void {
    const fields = { exitCode: result.exitCode, signal: result.signal, killed: result.killed, uptimeMs: result.uptimeMs };
    if (result.requested) this.logger.info(fields, "stopped");
    else if (!isFailure(result)) this.logger.info(fields, "exited");
    else if (shouldRestart(result, this.opts.restart)) this.logger.warn(fields, "crashed");
    else this.logger.error({ ...fields, lastLines: this.lastLines().slice(-20) }, "failed; not restarting");
  }

  private setState(next: ChainState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.emit("state", next, previous);
  }
}
