import type { LogLine, LogPlugin } from "@manageos/core";
import type { StreamName } from "./line-stats.js";

/** What a runner tells its pipeline. */
export interface PluginRunnerHooks {
  /** The queue went below its low-water mark (or emptied): paused streams may resume. */
  onRelief(): void;
  /** The plugin threw or rejected on a line. */
  onError(error: unknown, plugin: LogPlugin): void;
  now(): number;
}

/**
 * Feeds one plugin in order. While the plugin keeps up (synchronous, or its last promise
 * settled) a line is handed straight over with no queueing. Otherwise lines wait in a queue
 * of `capacity` lines. When it is full, a stderr line is lost (and counted): nodeos writes its
 * log from the threads that do the work, so a full stderr pipe would stall them. A stdout line
 * (deep-mind) is lost only by a lossy plugin; a non-lossy one keeps it and `offer` answers false
 * so the pipeline pauses stdout.
 */
export class PluginRunner {
  /** Lines lost because the queue was full, by pipe. */
  readonly droppedBy: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  /** Milliseconds between reading the line being handled and handing it over; 0 when idle. */
  lagMs = 0;
  errors = 0;
  private queue: (LogLine | undefined)[] = [];
  private head = 0;
  private busy = false;
  private idleWaiters: (() => void)[] = [];
  private readonly lowWater: number;

  constructor(
    readonly plugin: LogPlugin,
    readonly capacity: number,
    private readonly hooks: PluginRunnerHooks,
  ) {
    this.lowWater = Math.max(1, Math.floor(capacity / 2));
  }

  /** Lines lost because the queue was full. */
  get dropped(): number {
    return this.droppedBy.stdout + this.droppedBy.stderr;
  }

  /** Lines waiting for the plugin. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** True when a non-lossy plugin's queue is at capacity and the pipes should pause. */
  get congested(): boolean {
    return this.plugin.lossy !== true && this.queued >= this.capacity;
  }

  /** Hands a line over or queues it; false when the caller should pause reading stdout. */
  offer(line: LogLine): boolean {
    if (this.plugin.accepts !== undefined && !this.plugin.accepts(line)) return true;
    if (!this.busy) {
      this.invoke(line);
      return true;
    }
    const mayLose = this.plugin.lossy === true || line.stream === "stderr";
    if (this.queued >= this.capacity) {
      if (mayLose) {
        this.droppedBy[line.stream]++;
        return true;
      }
      this.queue.push(line);
      return false;
    }
    this.queue.push(line);
    return mayLose || this.queued < this.capacity;
  }

  /** Resolves once every queued line was handled. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // Calls the plugin; a returned promise makes the runner busy until the queue empties.
  private invoke(line: LogLine): void {
    let result: void | Promise<void>;
    try {
      result = this.plugin.handle(line);
    } catch (error) {
      this.errors++;
      this.hooks.onError(error, this.plugin);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === "function") {
      this.busy = true;
      void this.runQueue(result as Promise<void>);
    }
  }

  // Works through the queue after the plugin went asynchronous; stops when it is empty.
  private async runQueue(first: Promise<void>): Promise<void> {
    let current: Promise<void> | undefined = first;
    for (;;) {
      if (current !== undefined) {
        try {
          await current;
        } catch (error) {
          this.errors++;
          this.hooks.onError(error, this.plugin);
        }
      }
      const line = this.take();
      if (line === undefined) break;
      this.lagMs = this.hooks.now() - line.receivedAt;
      current = undefined;
      try {
        const result = this.plugin.handle(line);
        if (result !== undefined && typeof (result as Promise<void>).then === "function") current = result;
      } catch (error) {
        this.errors++;
        this.hooks.onError(error, this.plugin);
      }
      if (this.queued === this.lowWater) this.hooks.onRelief();
    }
    this.busy = false;
    this.lagMs = 0;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.hooks.onRelief();
  }

  // Takes the oldest queued line, compacting the array now and then.
  private take(): LogLine | undefined {
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
      return undefined;
    }
    const line = this.queue[this.head];
    this.queue[this.head] = undefined;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return line;
  }
}
