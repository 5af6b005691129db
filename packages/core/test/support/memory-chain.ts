import { EventEmitter } from "node:events";
import type { Chain, ChainEventMap, ChainStartOptions, ChainState, ChainStatus, ExitResult, HeadInfo, Producer } from "../../src/index.js";

/** The chain id the in-process chains report. */
export const CHAIN_ID = "cf057bbfb72640471fd910bcb67639c22df9f92470936cddc1ade0e2f2e7dc4f";

/** What the in-process chains of core's tests share: state events, status, and the production switch. */
export abstract class InProcessChain extends EventEmitter implements Chain, Producer {
  readonly kind = "nodeos" as const;
  state: ChainState = "stopped";
  head: HeadInfo | undefined;
  dirty = false;
  pauses = 0;
  /** Meant to produce: as the last pause or resume left it (no designated producer host in these tests). */
  wanted = false;

  constructor(public paused: boolean) {
    super();
  }

  abstract start(options?: ChainStartOptions): Promise<void>;
  abstract stop(): Promise<ExitResult | undefined>;

  async restart(options?: ChainStartOptions): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  status(): ChainStatus {
    return {
      kind: "nodeos",
      state: this.state,
      pid: this.state === "running" ? 4242 : undefined,
      restarts: 0,
      crashLoop: false,
      dirty: this.dirty,
      head: this.head,
      lastBlock: undefined,
      lastExit: undefined,
      uptimeMs: this.state === "running" ? 1000 : undefined,
    };
  }

  lastLines(): readonly string[] {
    return [];
  }

  async close(): Promise<void> {
    await this.stop();
  }

  async pauseProduction(): Promise<void> {
    this.wanted = false;
    this.paused = true;
    this.pauses++;
  }

  async resumeProduction(): Promise<void> {
    this.paused = false;
    this.wanted = true;
  }

  wantsProduction(): boolean {
    return this.wanted;
  }

  async isProductionPaused(): Promise<boolean> {
    return this.paused;
  }

  override on<E extends keyof ChainEventMap>(event: E, listener: (...args: ChainEventMap[E]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off<E extends keyof ChainEventMap>(event: E, listener: (...args: ChainEventMap[E]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  protected setState(next: ChainState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.emit("state", next, previous);
  }
}

/**
 * An in-process stand-in for the Chain seam, for route and operator logic tests only:
 * the node itself is exercised for real (nodeos-sim) in the apps' integration tests.
 * Its head advances one block per `tick()`, at the given block interval of chain time.
 */
export class MemoryChain extends InProcessChain {
  starts = 0;
  stops = 0;
  failNextStart: Error | undefined;
  #num = 100;

  constructor(readonly blockInterval = 500) {
    super(true);
  }

  async start(): Promise<void> {
    if (this.failNextStart) {
      const error = this.failNextStart;
      this.failNextStart = undefined;
      throw error;
    }
    this.starts++;
    this.setState("running");
  }

  async stop(): Promise<ExitResult | undefined> {
    if (this.state !== "running") return undefined;
    this.stops++;
    this.setState("stopped");
    const exit: ExitResult = { exitCode: 0, signal: undefined, killed: false, timedOut: false, requested: true };
    this.emit("exit", exit);
    return exit;
  }

  /** Produces one head observation: a new block stamped now. */
  tick(now = Date.now()): void {
    if (this.state !== "running") return;
    this.#num++;
    this.head = {
      headBlockNum: this.#num,
      headBlockTime: new Date(now).toISOString(),
      libNum: this.#num - 10,
      chainId: CHAIN_ID,
      serverVersion: "v5.0.0",
      observedAt: now,
    };
    this.emit("head", this.head);
  }
}
