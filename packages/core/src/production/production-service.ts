import type { GuardReason, ProductionMetrics } from "./metrics.js";
import type { Logger } from "pino";
import type { BlockEvent, Chain, ChainState, Producer } from "../chain/chain.js";
import type { Coordinator, ProducerClaim } from "../coordination/coordinator.js";
import { isManageosError } from "../errors/manageos-error.js";
import type { JobContext } from "../jobs/job.js";
import type { ProductionService } from "../operator/services.js";
import { type ProductionClock, systemProductionClock } from "./clock.js";
import { ProductionErrors } from "./errors.js";
import { type HandoffReport, handoff } from "./handoff.js";
import { prepareRestart, type RestartPlan, resumeAfterRestart } from "./restart-policy.js";
import { producingPeer } from "./peers.js";
import { resumeOnStart, type StartResumeStatus, watchingRotationMessage, watchRotation } from "./start-resume.js";
import { type TakeoverStatus, takeover } from "./takeover.js";
import { type OurBlock, ProductionTracker } from "./production-state.js";

/** Settings of block-producer mode, from `bp.*` and `node.*`. */
export interface ProductionOptions {
  readonly producerName: string;
  readonly blockInterval: number;
  readonly roundLength: number;
  /** Another node's block or claim this recent forbids resuming. */
  readonly claimWindow: number;
  /** Longest wait for the end of our round before pausing anyway. */
  readonly pauseTimeout: number;
  /** How often the active schedule is read again. */
  readonly scheduleInterval?: number;
  /** Bearer token for peers' APIs (the cluster shares one). */
  readonly peerToken?: string;
  /** How often our status is published to the coordinator. */
  readonly publishInterval?: number;
  /** Takeover after reboot: once synced, ask the producer to hand production to us. */
  readonly takeover?: boolean;
  /** What a producer does before a restart: hand production to a peer, or pause at the end of its round. */
  readonly reloadPolicy?: "handoff" | "wait-round";
  /** Operator APIs of the other manageos of our producer name (besides those the coordinator knows). */
  readonly peers?: readonly string[];
}

/** The options a configuration reload may change while running. */
export type LiveProductionOptions = Pick<ProductionOptions, "claimWindow" | "pauseTimeout" | "takeover" | "reloadPolicy" | "peers">;

/** What production needs around it. */
export interface ProductionDeps {
  readonly chain: Chain & Producer;
  readonly coordinator: Coordinator;
  readonly logger: Logger;
  /** Reads the active schedule, in order. */
  readonly readSchedule: () => Promise<string[]>;
  readonly clock?: ProductionClock;
  readonly metrics?: ProductionMetrics;
}

/** How a resume may account for blocks of ours produced elsewhere: the node that paused says its last block. */
export interface ResumeOptions {
  /** Blocks of ours up to this number were produced by a node that has since confirmed it is paused. */
  readonly releasedThrough?: number;
  /** Checked just before resuming and just after: false stops the resume, or pauses again (production was paused meanwhile). */
  readonly onlyIf?: () => boolean;
  /** The checks after a start (`findOtherProducer`) just ran: the peers were asked and a rotation watched. */
  readonly othersChecked?: boolean;
}

/** What a safe pause reports. */
export interface PauseResult {
  readonly paused: true;
  readonly waitedForRound: boolean;
  readonly timedOut: boolean;
  readonly waitedMs: number;
  readonly lastProduced: number | null;
}

const SYNC_BLOCKS = 5;

/** Block-producer mode: production state, safe pause and resume, the producer lease. */
export class Production implements ProductionService {
  readonly tracker: ProductionTracker;
  #opts: ProductionOptions;
  readonly #deps: ProductionDeps;
  readonly #logger: Logger;
  readonly #clock: ProductionClock;
  readonly #blockWaiters = new Set<() => void>();
  readonly #closing = new AbortController();
  #watchingSince: number | undefined;
  #watchingFromNum: number | undefined;
  #paused: boolean | undefined;
  #recentGaps: number[] = [];
  #lastSeenAt: number | undefined;
  #scheduleTimer: NodeJS.Timeout | undefined;
  #leaseLost: string | undefined;
  #started = false;
  #api: string | null = null;
  #publishTimer: NodeJS.Timeout | undefined;
  #guarding = false;
  #takeover: TakeoverStatus | undefined;
  #tookOver = false;
  #startResume: StartResumeStatus | undefined;
  #startTask: AbortController | undefined;

  constructor(opts: ProductionOptions, deps: ProductionDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "production" });
    this.#clock = deps.clock ?? systemProductionClock;
    this.tracker = new ProductionTracker(opts);
  }

  get options(): ProductionOptions {
    return this.#opts;
  }

  get coordinator(): Coordinator {
    return this.#deps.coordinator;
  }

  get clock(): ProductionClock {
    return this.#clock;
  }

  get logger(): Logger {
    return this.#logger;
  }

  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** Our operator API, once listening. */
  get api(): string | null {
    return this.#api;
  }

  /** Applies settings a configuration reload changed; they count from the next decision on. */
  reconfigure(live: LiveProductionOptions): void {
    this.#opts = { ...this.#opts, ...live };
  }

  /** Follows the node's blocks and state, reads the schedule, and starts the coordinator. */
  async start(info?: { api: string }): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#api = info?.api ?? null;
    const { chain, coordinator } = this.#deps;
    chain.on("block", this.#onBlock);
    chain.on("state", this.#onState);
    coordinator.onLeaseLost((reason) => void this.#onLeaseLost(reason));
    await coordinator.start();
    void this.refreshSchedule();
    const every = this.#opts.scheduleInterval ?? 10_000;
    this.#scheduleTimer = setInterval(() => void this.refreshSchedule(), every);
    this.#scheduleTimer.unref();
    this.#publishTimer = setInterval(() => void this.#publish(), this.#opts.publishInterval ?? 1_000);
    this.#publishTimer.unref();
    await this.#publish();
    // A node meant to produce tries the takeover only when a peer produces (after its start); see resumeOnStart.
    if (!chain.wantsProduction()) this.takeOverOnce();
    if (chain.status().state === "running") this.#onRunning();
  }

  /** Starts the takeover after reboot if it is enabled and was not tried since manageos started; true when started. */
  takeOverOnce(): boolean {
    if (this.#opts.takeover !== true || this.#tookOver) return false;
    this.#tookOver = true;
    void takeover(this, (status) => {
      this.#takeover = status;
    }).catch((error: unknown) => {
      this.#logger.warn({ err: error }, "takeover failed");
      this.#takeover = { state: "failed", reason: (error as Error).message, at: this.#clock.now() };
    });
    return true;
  }

  /** Whether this node is meant to produce (the producer host at first, then as the last pause or resume left it). */
  wantsProduction(): boolean {
    return this.#deps.chain.wantsProduction();
  }

  /** Since when (ms) and from which block the chain has been watched since nodeos last started. */
  watching(): { since: number; fromNum: number } | undefined {
    if (this.#watchingSince === undefined || this.#watchingFromNum === undefined) return undefined;
    return { since: this.#watchingSince, fromNum: this.#watchingFromNum };
  }

  /** Counts a resume after a start that was refused. */
  countStartRefusal(): void {
    this.#deps.metrics?.guardTrips.inc({ reason: "start-refused" });
  }

  /** Counts a refused resume. */
  countResumeRefusal(): void {
    this.#deps.metrics?.guardTrips.inc({ reason: "resume-refused" });
  }

  /** Makes a restart safe under `bp.reloadPolicy`: hand off, or pause at the end of our round. */
  prepareRestart(ctx: Pick<JobContext, "signal" | "progress" | "log">): Promise<RestartPlan> {
    return prepareRestart(this, ctx);
  }

  /** Resumes after a restart that paused us, once the node is ready again. */
  resumeAfterRestart(ctx: Pick<JobContext, "signal" | "progress" | "log">, timeoutMs: number): Promise<Record<string, unknown>> {
    return resumeAfterRestart(this, ctx, timeoutMs);
  }

  /** Why a resume would be refused as not ready now, or undefined when it would not. */
  readyToResume(): string | undefined {
    try {
      this.#assertReady();
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Moves production to the peer manageos at `to`. */
  handoff(ctx: JobContext, params: { to: string }): Promise<HandoffReport> {
    return handoff(this, ctx, { to: params.to, token: this.#opts.peerToken });
  }

  /** The coordinator's view: who holds the producer lease, the last claim, every node's published status. */
  async cluster(): Promise<Record<string, unknown>> {
    const { coordinator } = this.#deps;
    const producer = this.#opts.producerName;
    try {
      const [holder, claim, peers] = await Promise.all([coordinator.holder(producer), coordinator.lastClaim(producer), coordinator.peers()]);
      return {
        coordinator: coordinator.kind,
        node: coordinator.nodeId,
        producerName: producer,
        holder: holder ?? null,
        claim: claim ?? null,
        peers: peers.map((p) => ({ ...p, self: p.node === coordinator.nodeId })),
      };
    } catch (error) {
      throw ProductionErrors.coordinator((error as Error).message, { cause: error });
    }
  }

  async #publish(): Promise<void> {
    try {
      if (this.#deps.chain.status().state === "running") await this.isPaused().catch(() => undefined);
      await this.#deps.coordinator.publish({ api: this.#api, ...this.status() });
    } catch (error) {
      this.#logger.debug({ err: error }, "could not publish our status");
    }
  }

  /** Stops following the node and gives the lease up. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#startTask?.abort();
    clearInterval(this.#scheduleTimer);
    clearInterval(this.#publishTimer);
    this.#deps.chain.off("block", this.#onBlock);
    this.#deps.chain.off("state", this.#onState);
    this.#wakeBlockWaiters();
    await this.#deps.coordinator.close();
  }

  /** Reads the active schedule again; keeps the old one when nodeos does not answer. */
  async refreshSchedule(): Promise<void> {
    try {
      this.tracker.setSchedule(await this.#deps.readSchedule());
    } catch (error) {
      this.#logger.debug({ err: error }, "producer schedule unavailable");
    }
  }

  /** Waits for the end of our round (bounded by pauseTimeout), pauses, confirms, then releases our claim. */
  async safelyPause(ctx: Pick<JobContext, "signal" | "progress">): Promise<PauseResult> {
    const { coordinator } = this.#deps;
    const started = this.#clock.now();
    let waitedForRound = false;
    let timedOut = false;
    if (this.tracker.snapshot().state === "producing") {
      waitedForRound = true;
      ctx.progress({ message: "waiting for the end of our round" });
      const done = await this.waitUntil(() => this.tracker.snapshot().state !== "producing", started + this.#opts.pauseTimeout, ctx.signal);
      timedOut = !done;
      if (timedOut) this.#logger.warn({ timeoutMs: this.#opts.pauseTimeout }, "our round did not end within the pause timeout: pausing now");
    }
    ctx.signal.throwIfAborted();
    ctx.progress({ message: "pausing production" });
    await this.#pauseConfirmed();
    // A block being signed when the pause arrived may still come out: let its line land before naming our last block.
    await this.#clock.sleep(2 * this.#opts.blockInterval + 50);
    const lastProduced = this.tracker.snapshot().lastProducedHere?.num ?? null;
    try {
      await coordinator.release(this.#opts.producerName, { lastProduced });
    } catch (error) {
      // The lease runs out on its own; the claim then stays unreleased, which only makes peers more careful.
      this.#logger.warn({ err: error }, "could not record the release with the coordinator");
    }
    const waitedMs = this.#clock.now() - started;
    this.#logger.info({ waitedForRound, timedOut, waitedMs, lastProduced }, "production paused safely");
    return { paused: true, waitedForRound, timedOut, waitedMs, lastProduced };
  }

  /** Resumes production unless another node of ours produced or claimed within the claim window, holding the lease. */
  async safelyResume(ctx: Pick<JobContext, "signal" | "progress">, options: ResumeOptions = {}): Promise<Record<string, unknown>> {
    const { chain, coordinator } = this.#deps;
    const producer = this.#opts.producerName;
    await this.#waitDecidable(ctx);
    this.#assertReady();
    // With the local coordinator, unless every peer answers that it is paused, a rotation of the schedule decides.
    let watchRotationToo = false;
    if (options.othersChecked !== true) {
      // Between its rounds a producing peer shows nothing for a whole rotation; its own answer shows it at once.
      ctx.progress({ message: "asking the peers whether one produces" });
      const { producing, allPaused } = await producingPeer(coordinator, { configured: this.#opts.peers ?? [], ownApi: this.#api, token: this.#opts.peerToken });
      watchRotationToo = coordinator.kind === "local" && !allPaused;
      ctx.signal.throwIfAborted();
      if (producing !== undefined) {
        this.countResumeRefusal();
        throw ProductionErrors.unsafeResume(`${producing.node ?? producing.api} (${producing.api}) answers that it produces`, {
          details: { reason: "peer-producing", peer: producing.api, ...(producing.node === null ? {} : { node: producing.node }) },
        });
      }
    }
    ctx.progress({ message: "taking the producer lease" });
    let acquired: Awaited<ReturnType<Coordinator["acquire"]>>;
    try {
      acquired = await coordinator.acquire(producer);
    } catch (error) {
      throw ProductionErrors.coordinator((error as Error).message, { cause: error });
    }
    if (!acquired.acquired) {
      this.countResumeRefusal();
      throw ProductionErrors.leaseHeld(acquired.holder, { details: { holder: acquired.holder } });
    }
    let resumed = false;
    try {
      const claim = await coordinator.lastClaim(producer);
      const reason = this.unsafeReason(claim, options) ?? (watchRotationToo ? await this.#producedWithinRotation(ctx, options) : undefined);
      if (reason !== undefined) {
        this.countResumeRefusal();
        throw ProductionErrors.unsafeResume(reason.message, { details: reason.details });
      }
      ctx.signal.throwIfAborted();
      if (options.onlyIf?.() === false) throw ProductionErrors.unsafeResume("production was paused meanwhile", { details: { reason: "paused-meanwhile" } });
      await coordinator.claim(producer);
      ctx.progress({ message: "resuming production" });
      await chain.resumeProduction();
      resumed = true;
      if (options.onlyIf?.() === false) {
        // A pause came in while nodeos resumed: the pause wins, and the lease goes back.
        await this.#pauseConfirmed();
        resumed = false;
        throw ProductionErrors.unsafeResume("production was paused meanwhile", { details: { reason: "paused-meanwhile" } });
      }
      const paused = await chain.isProductionPaused();
      this.#paused = paused;
      if (paused) throw ProductionErrors.unsafeResume("nodeos still reports production paused after resume");
    } catch (error) {
      // The lease goes back only when we did not start producing.
      if (!resumed) await coordinator.release(producer).catch(() => undefined);
      throw error;
    }
    this.#leaseLost = undefined;
    const head = this.tracker.snapshot().lastBlock;
    this.#logger.info({ head: head?.num }, "production resumed");
    return { resumed: true, node: coordinator.nodeId, head: head?.num ?? null };
  }

  // A node of ours that produces signs nothing between its rounds, for up to a rotation of the schedule: the claim
  // window cannot see it, a block of ours from elsewhere within the last rotation does. Blocks up to `releasedThrough`
  // are accounted for. Right after a start, without `releasedThrough`, it watches until a rotation has been seen; with
  // it (a handoff: the node that produced them just paused), it decides on what it has seen.
  async #producedWithinRotation(ctx: Pick<JobContext, "signal" | "progress">, options: ResumeOptions): Promise<{ message: string; details: Record<string, unknown> } | undefined> {
    const rotation = await watchRotation(this, ctx.signal, {
      ...(options.releasedThrough === undefined ? {} : { after: options.releasedThrough }),
      wait: options.releasedThrough === undefined,
      onWatch: (until) => ctx.progress({ message: watchingRotationMessage(until, this.#clock.now()) }),
    });
    if (!rotation.decided) throw ProductionErrors.notReady(rotation.reason);
    const seen = rotation.seen;
    if (seen === undefined) return undefined;
    const retryAfter = seen.timeMs + rotation.horizon;
    return {
      message:
        `another node of ours produced block #${seen.num} ${Math.round((this.#clock.now() - seen.timeMs) / 1000)} s ago, within a rotation of the schedule; ` +
        `if that node is paused now, resume with released_through=${seen.num}, else hand off from it (or resume after ${new Date(retryAfter).toISOString()})`,
      details: { reason: "produced-within-rotation", block: seen.num, retryAfter: new Date(retryAfter).toISOString() },
    };
  }

  /** Why resuming now could double-produce, or undefined when it cannot. */
  unsafeReason(claim: ProducerClaim | undefined, options: ResumeOptions = {}): { message: string; details: Record<string, unknown> } | undefined {
    const now = this.#clock.now();
    const window = this.#opts.claimWindow;
    const me = this.#deps.coordinator.nodeId;
    const snap = this.tracker.snapshot();
    const releasedByPeer = claim !== undefined && claim.node !== me ? claim.released?.lastProduced ?? undefined : undefined;
    const accounted = Math.max(options.releasedThrough ?? -1, releasedByPeer ?? -1);
    const elsewhere = snap.lastProducedElsewhere;
    if (elsewhere !== undefined && now - elsewhere.timeMs < window && elsewhere.num > accounted) {
      const underway = snap.lastBlock?.producer === this.#opts.producerName;
      return {
        message: underway
          ? `our round is underway on another node (block #${elsewhere.num} ${now - elsewhere.timeMs} ms ago)`
          : `another node of ours produced block #${elsewhere.num} ${now - elsewhere.timeMs} ms ago, within the claim window of ${window} ms`,
        details: { reason: underway ? "round-underway-elsewhere" : "produced-within-claim-window", block: elsewhere.num, agoMs: now - elsewhere.timeMs, claimWindowMs: window },
      };
    }
    if (claim !== undefined && claim.node !== me && claim.released === undefined && now - claim.at < window) {
      return {
        message: `${claim.node} claimed production ${now - claim.at} ms ago, within the claim window of ${window} ms`,
        details: { reason: "claimed-within-claim-window", node: claim.node, agoMs: now - claim.at, claimWindowMs: window },
      };
    }
    return undefined;
  }

  /** Waits until a restart cannot interrupt our round: not producing and not about to. */
  async waitSafeToRestart(ctx: Pick<JobContext, "signal" | "progress">): Promise<void> {
    const safe = () => {
      const state = this.tracker.snapshot().state;
      return state === "just-produced" || state === "not-producing";
    };
    if (safe()) return;
    ctx.progress({ message: "waiting out our production round" });
    const round = this.#opts.roundLength * this.#opts.blockInterval;
    if (!(await this.waitUntil(safe, this.#clock.now() + Math.max(this.#opts.pauseTimeout, 3 * round), ctx.signal))) {
      this.#logger.warn("our round did not end in time; restarting anyway");
    }
  }

  /** Production state for the status API. */
  status(): Record<string, unknown> {
    const snap = this.tracker.snapshot();
    return {
      producerName: this.#opts.producerName,
      state: snap.state,
      inSchedule: snap.inSchedule,
      paused: this.#paused ?? null,
      currentProducer: snap.currentProducer ?? null,
      lastProducedHere: snap.lastProducedHere?.num ?? null,
      lastProducedElsewhere: snap.lastProducedElsewhere?.num ?? null,
      coordinator: this.#deps.coordinator.kind,
      node: this.#deps.coordinator.nodeId,
      holdsLease: this.#deps.coordinator.holds(this.#opts.producerName),
      leaseLost: this.#leaseLost ?? null,
      takeover: this.#takeover ?? null,
      start: this.#startResume ?? null,
    };
  }

  /** Whether nodeos production is paused, asked now. */
  async isPaused(): Promise<boolean> {
    this.#paused = await this.#deps.chain.isProductionPaused();
    return this.#paused;
  }

  /** True once the node follows the chain: the last SYNC_BLOCKS blocks came at about the interval and the last is recent. */
  isSynced(): boolean {
    const last = this.tracker.snapshot().lastBlock;
    if (last === undefined || this.#recentGaps.length < SYNC_BLOCKS - 1) return false;
    const interval = this.#opts.blockInterval;
    return this.#recentGaps.every((gap) => gap <= 3 * interval + 250) && this.#clock.now() - last.timeMs <= this.#freshLimit();
  }

  /** Resolves true once `predicate` holds (checked at each block and every interval), false at `deadline`. */
  async waitUntil(predicate: () => boolean, deadline: number, signal?: AbortSignal): Promise<boolean> {
    while (!predicate()) {
      signal?.throwIfAborted();
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) return false;
      const wake = new AbortController();
      const onBlock = () => wake.abort();
      this.#blockWaiters.add(onBlock);
      await this.#clock.sleep(Math.min(remaining, this.#opts.blockInterval), AbortSignal.any([wake.signal, this.#closing.signal, ...(signal ? [signal] : [])]));
      this.#blockWaiters.delete(onBlock);
      if (this.#closing.signal.aborted) return predicate();
    }
    return true;
  }

  /** Our blocks seen from `fromNum` on. */
  oursSince(fromNum: number): OurBlock[] {
    return this.tracker.oursSince(fromNum);
  }

  // Two reasons not to decide yet end by themselves, and are waited out instead of refused: right after a start the
  // chain has been watched for less than the claim window (another node of ours producing cannot be ruled out yet),
  // and a silence no longer than a round (ours, while we are paused: nobody signs our slots). A node that is not
  // running is refused at once; one still not ready after both bounds is refused as before.
  async #waitDecidable(ctx: Pick<JobContext, "signal" | "progress">): Promise<void> {
    if (this.#deps.chain.status().state !== "running" || this.readyToResume() === undefined) return;
    const since = this.#watchingSince ?? this.#clock.now();
    const windowEnd = since + this.#opts.claimWindow;
    const roundEnd = this.#clock.now() + this.#opts.roundLength * this.#opts.blockInterval + this.#freshLimit();
    ctx.progress({ message: `waiting until production can be decided: ${this.readyToResume()}` });
    await this.waitUntil(() => this.readyToResume() === undefined, Math.max(windowEnd, roundEnd), ctx.signal);
  }

  #assertReady(): void {
    const state = this.#deps.chain.status().state;
    if (state !== "running") throw ProductionErrors.notReady(`the node is ${state}`);
    const last = this.tracker.snapshot().lastBlock;
    const now = this.#clock.now();
    if (last === undefined || this.#watchingSince === undefined) throw ProductionErrors.notReady("no block seen yet");
    if (now - last.timeMs > this.#freshLimit()) {
      throw ProductionErrors.notReady(`the last block seen (#${last.num}) is ${now - last.timeMs} ms old: not synced`);
    }
    // Blocks of another node of ours in the claim window can only be ruled out after watching for that long.
    if (now - this.#watchingSince < this.#opts.claimWindow) {
      throw ProductionErrors.notReady(`watching the chain for ${now - this.#watchingSince} ms, less than the claim window of ${this.#opts.claimWindow} ms`);
    }
  }

  #freshLimit(): number {
    return Math.max(5 * this.#opts.blockInterval, 1_000);
  }

  async #pauseConfirmed(): Promise<void> {
    const { chain } = this.#deps;
    let last: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await chain.pauseProduction();
        if (await chain.isProductionPaused()) {
          this.#paused = true;
          return;
        }
        last = new Error("paused answered false");
      } catch (error) {
        last = error;
      }
      await this.#clock.sleep(this.#opts.blockInterval);
    }
    throw ProductionErrors.pauseUnconfirmed(last instanceof Error ? last.message : String(last), { cause: last });
  }

  // Production without a live lease must stop at once: another node may take the lease as soon as it expires.
  async #onLeaseLost(reason: string, trip: GuardReason = "lease-lost"): Promise<void> {
    this.#leaseLost = reason;
    this.#deps.metrics?.guardTrips.inc({ reason: trip });
    this.#logger.error({ reason }, "producer lease not renewed in time: pausing production now");
    try {
      await this.#pauseConfirmed();
    } catch (error) {
      this.#logger.error({ err: error, code: isManageosError(error) ? error.code : undefined }, "could not pause after losing the lease");
    }
  }

  readonly #onBlock = (block: BlockEvent): void => {
    const now = this.#clock.now();
    this.#watchingSince ??= now;
    this.#watchingFromNum ??= block.num;
    if (this.#lastSeenAt !== undefined) {
      this.#recentGaps.push(now - this.#lastSeenAt);
      if (this.#recentGaps.length > SYNC_BLOCKS - 1) this.#recentGaps.shift();
    }
    this.#lastSeenAt = now;
    this.tracker.observe(block);
    if (block.kind === "produced") {
      this.#paused = false;
      if (this.#deps.coordinator.kind !== "local" && !this.#deps.coordinator.holds(this.#opts.producerName) && !this.#guarding) {
        this.#guarding = true;
        void this.#onLeaseLost("produced a block without holding the producer lease", "produced-without-lease").finally(() => {
          this.#guarding = false;
        });
      }
    }
    this.#wakeBlockWaiters();
  };

  readonly #onState = (state: ChainState): void => {
    if (state === "running") {
      this.#onRunning();
      return;
    }
    this.#startTask?.abort();
    this.#startTask = undefined;
    this.tracker.reset();
    this.#watchingSince = undefined;
    this.#watchingFromNum = undefined;
    this.#lastSeenAt = undefined;
    this.#recentGaps = [];
    this.#paused = undefined;
  };

  // nodeos started (always paused in bp mode): a node meant to produce enters production through the safe resume.
  #onRunning(): void {
    this.#startTask?.abort();
    this.#startTask = undefined;
    if (!this.#started || this.#closing.signal.aborted || !this.#deps.chain.wantsProduction()) return;
    const task = new AbortController();
    this.#startTask = task;
    void resumeOnStart(this, AbortSignal.any([task.signal, this.#closing.signal]), (status) => {
      this.#startResume = status;
    }).catch((error: unknown) => {
      if (task.signal.aborted || this.#closing.signal.aborted) return;
      this.#logger.error({ err: error }, "production not resumed after the start");
      this.#startResume = { state: "refused", reason: (error as Error).message, at: this.#clock.now() };
    });
  }

  #wakeBlockWaiters(): void {
    for (const wake of this.#blockWaiters) wake();
  }
}
