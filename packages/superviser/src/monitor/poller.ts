import type { Logger } from "@manageos/core";
import { type Clock, systemClock } from "../process/clock.js";

/** Runs a task every interval (never two at once) while started; failures are counted, logged quietly. */
export class Poller {
  private timer: unknown;
  private running = false;
  private failures = 0;
  private readonly clock: Clock;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly opts: { name: string; intervalMs: number; warnAfterFailures?: number },
    private readonly task: () => Promise<void>,
    private readonly deps: { logger: Logger; clock?: Clock },
  ) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Starts polling now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling and waits for a poll in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
        if (this.running) this.schedule(this.opts.intervalMs);
      });
    }, ms);
  }

  // One poll: a node still starting fails polls, so only a long run of failures is a warning.
  private async tick(): Promise<void> {
    try {
      await this.task();
      if (this.failures >= (this.opts.warnAfterFailures ?? 10)) this.deps.logger.info({ poll: this.opts.name }, "answering again");
      this.failures = 0;
    } catch (error) {
      this.failures++;
      if (this.failures === (this.opts.warnAfterFailures ?? 10)) {
        this.deps.logger.warn({ err: error, poll: this.opts.name, failures: this.failures }, "poll keeps failing");
      } else {
        this.deps.logger.debug({ err: error, poll: this.opts.name, failures: this.failures }, "poll failed");
      }
    }
  }
}
