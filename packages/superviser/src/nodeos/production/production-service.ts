import type { GuardReason, ProductionMetrics } from "./metrics.js";
import type { Logger } from "pino";
import {
  type BlockEvent,
  type Chain,
  type ChainState,
  type Coordinator,
  isManageosError,
  type JobContext,
  type Producer,
  type ProducerClaim,
  type ProductionService,
} from "@manageos/core";
import { type ProductionClock, systemProductionClock } from "./clock.js";
import { ProductionErrors } from "./errors.js";
import { BlockWatch } from "./block-watch.js";
import { type HandoffDeps, type HandoffReport, handoff } from "./handoff.js";
import { FinalizerKeys } from "./finalizer-keys.js";
import { type AnnouncedIntent, ResumeHandshake } from "./resume-handshake.js";
import type { IntentAnswer, ResumeIntent } from "./resume-intent.js";
import { SigningFence, type SigningVerdict } from "./signing-fence.js";
import type {
  GuardReport,
  LiveProductionOptions,
  PauseResult,
  ProductionOptions,
  ResumeOptions,
  StepContext,
} from "./production-options.js";
import { type RestartPlan, RestartPolicy } from "./restart-policy.js";
import { idle, peerApis, producingPeer, viewPeers } from "./peers.js";
import { type RotationDeps, StartResume, watchingRotationMessage, watchRotation } from "./start-resume.js";
import { Takeover } from "./takeover.js";

/** What production needs around it. */
export interface ProductionDeps {
  readonly chain: Chain & Producer;
  readonly coordinator: Coordinator;
  readonly logger: Logger;
  /** Reads the active schedule, in order. */
  readonly readSchedule: () => Promise<string[]>;
  readonly clock?: ProductionClock;
  readonly metrics?: ProductionMetrics;
  /** nodeos' own API (the chain API), for the finalizer tables and actfinkey. */
  readonly nodeUrl?: () => string;
}

/** Block-producer mode: production state, safe pause and resume, the producer lease. */
export class Production implements ProductionService {
  #opts: ProductionOptions;
  readonly #deps: ProductionDeps;
  readonly #logger: Logger;
  readonly #clock: ProductionClock;
  readonly #closing = new AbortController();
  #paused: boolean | undefined;
  #scheduleTimer: NodeJS.Timeout | undefined;
  #leaseLost: string | undefined;
  #started = false;
  #api: string | null = null;
  #publishTimer: NodeJS.Timeout | undefined;
  #guarding = false;
  readonly #watch: BlockWatch;
  readonly #takeover: Takeover;
  readonly #startResume: StartResume;
  readonly #restarts: RestartPolicy;
  // Set when production was resumed here through the safe resume, cleared at every pause and stop: the signing fence
  // signs only while it is set. `fromNum`: blocks of ours numbered after it that come from elsewhere trip the guard.
  #signing: { since: number; fromNum: number } | undefined;
  #fence: SigningFence | undefined;
  #pendingUpstream: string | undefined;
  // Counts pauses and resumes of ours, so that a production flag asked for before one of them is not taken after it.
  #pauseSeq = 0;
  #guard: GuardReport | undefined;
  #guardTimer: NodeJS.Timeout | undefined;
  #guardPolling = false;
  readonly #finalizers: FinalizerKeys;
  readonly #handshake: ResumeHandshake;

  constructor(opts: ProductionOptions, deps: ProductionDeps) {
    this.#opts = opts;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "production" });
    this.#clock = deps.clock ?? systemProductionClock;
    this.#watch = new BlockWatch(opts, { clock: this.#clock, closing: this.#closing.signal });
    const here = this.#rotationDeps();
    this.#handshake = new ResumeHandshake({
      ...here,
      producing: () => this.#signing !== undefined,
      countResumeRefusal: () => this.#countResumeRefusal(),
    });
    this.#finalizers = new FinalizerKeys({
      ...here,
      chain: deps.chain,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
      ...(deps.nodeUrl === undefined ? {} : { nodeUrl: deps.nodeUrl }),
    });
    const readyToResume = () => this.readyToResume();
    const isPaused = () => this.#isPaused();
    this.#takeover = new Takeover({ ...here, closing: this.#closing.signal, readyToResume, isPaused });
    this.#startResume = new StartResume({
      ...here,
      closing: this.#closing.signal,
      readyToResume,
      wantsProduction: () => deps.chain.wantsProduction(),
      takeOverOnce: () => this.#takeover.once(),
      safelyResume: (ctx, options) => this.safelyResume(ctx, options),
      countStartRefusal: () => this.#deps.metrics?.guardTrips.inc({ reason: "start-refused" }),
    });
    this.#restarts = new RestartPolicy({
      ...here,
      isPaused,
      readyToResume,
      waitSafeToRestart: (ctx) => this.waitSafeToRestart(ctx),
      handoff: (ctx, params) => this.handoff(ctx, params),
      safelyPause: (ctx) => this.safelyPause(ctx),
      safelyResume: (ctx, options) => this.safelyResume(ctx, options),
      countResumeRefusal: () => this.#countResumeRefusal(),
    });
  }

  /** The coordinator production claims and publishes through. */
  get coordinator(): Coordinator {
    return this.#deps.coordinator;
  }

  /** Applies settings a configuration reload changed; they count from the next decision on. */
  reconfigure(live: LiveProductionOptions): void {
    const { blocksigner, ...rest } = live;
    this.#opts = { ...this.#opts, ...rest };
    // The fence forwards to a new blocksigner once nodeos stops, so that it signs with the keys nodeos next starts with.
    if (blocksigner !== undefined && this.#opts.signing !== undefined && blocksigner !== this.#opts.signing.blocksigner) {
      this.#opts = { ...this.#opts, signing: { ...this.#opts.signing, blocksigner } };
      this.#pendingUpstream = blocksigner;
      if (this.#deps.chain.status().state !== "running") this.#applyUpstream();
    }
  }

  #applyUpstream(): void {
    if (this.#pendingUpstream === undefined || this.#fence === undefined) return;
    this.#fence.setUpstream(this.#pendingUpstream);
    this.#logger.info({ blocksigner: this.#pendingUpstream }, "the signing fence forwards to the new blocksigner");
    this.#pendingUpstream = undefined;
  }

  /** Follows the node's blocks and state, reads the schedule, and starts the coordinator. */
  async start(info?: { api: string }): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#api = info?.api ?? null;
    const { chain, coordinator } = this.#deps;
    // The fence listens before nodeos first starts, so that its config.ini can name it.
    if (this.#opts.signing !== undefined) {
      const { listen, blocksigner, timeoutMs } = this.#opts.signing;
      const fence = new SigningFence(
        { listen, upstream: blocksigner, upstreamTimeoutMs: Math.max(timeoutMs, 1_000) },
        {
          verdict: () => this.signingVerdict(),
          logger: this.#logger,
          ...(this.#deps.metrics === undefined ? {} : { metrics: this.#deps.metrics }),
        },
      );
      await fence.listen();
      this.#fence = fence;
      if (fence.signUrl !== undefined) chain.useSigningFence?.(fence.signUrl, timeoutMs);
    }
    chain.on("block", this.#onBlock);
    chain.on("vote-missed", this.#finalizers.onVoteMissed);
    chain.on("state", this.#onState);
    coordinator.onLeaseLost((reason) => void this.#onLeaseLost(reason));
    coordinator.onLeaseRegained?.(() => this.#onLeaseRegained());
    await coordinator.start();
    await this.#finalizers.load();
    void this.#refreshSchedule();
    const every = this.#opts.scheduleInterval ?? 10_000;
    this.#scheduleTimer = setInterval(() => void this.#refreshSchedule(), every);
    this.#scheduleTimer.unref();
    this.#publishTimer = setInterval(() => void this.#publish(), this.#opts.publishInterval ?? 1_000);
    this.#publishTimer.unref();
    this.#guardTimer = setInterval(() => void this.#pollPeersWhileSigning(), this.#opts.publishInterval ?? 1_000);
    this.#guardTimer.unref();
    await this.#publish();
    // A node meant to produce tries the takeover only when a peer produces (after its start); see StartResume.
    if (!chain.wantsProduction()) this.#takeover.once();
    if (chain.status().state === "running") this.#onRunning();
  }

  /** Makes a restart safe under `bp.reloadPolicy`: hand off, or pause at the end of our round. */
  prepareRestart(ctx: Pick<JobContext, "signal" | "progress" | "log">): Promise<RestartPlan> {
    return this.#restarts.prepare(ctx);
  }

  /** Resumes after a restart that paused us, once the node is ready again. */
  resumeAfterRestart(ctx: Pick<JobContext, "signal" | "progress" | "log">, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.#restarts.resumeAfter(ctx, timeoutMs);
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
    return handoff(this.#handoffDeps(), ctx, { to: params.to, token: this.#opts.peerToken });
  }

  /**
   * Before manageos stops nodeos (SIGTERM: a rollout, a drain): a node that signs hands production to a ready peer
   * (running, synced, paused), or else pauses at the end of its round, so that the stop never cuts a round short.
   */
  async beforeShutdown(): Promise<Record<string, unknown>> {
    if (this.#signing === undefined) return { action: "not-producing" };
    const ctx: JobContext = { id: "shutdown", signal: this.#closing.signal, progress: () => undefined, log: () => undefined };
    const apis = await peerApis(this.#deps.coordinator, this.#opts.peers ?? [], this.#api);
    const peer = (await viewPeers(apis, this.#opts.peerToken, this.#deps.coordinator.nodeId)).find((v) => v.running && v.synced && idle(v));
    if (peer !== undefined) {
      this.#logger.info({ to: peer.api }, "stopping: handing production to a ready peer first");
      try {
        const report = await handoff(this.#handoffDeps(), ctx, { to: peer.api, token: this.#opts.peerToken, waitForPeerRound: false });
        this.#logger.info({ to: peer.api, lastProduced: report.from.lastProduced }, "production handed off before the stop");
        return { action: "handed-off", to: peer.api, lastProduced: report.from.lastProduced };
      } catch (error) {
        // The handoff paused us at the end of our round before it asked the peer: production is not cut short.
        this.#logger.error({ err: error, to: peer.api }, "the handoff before the stop failed; production is paused here");
        if (this.#signing === undefined) return { action: "paused", reason: (error as Error).message };
      }
    } else {
      this.#logger.warn({ peers: apis }, "stopping: no ready peer to hand production to; pausing at the end of our round");
    }
    const pause = await this.safelyPause(ctx);
    return { action: "paused", lastProduced: pause.lastProduced, timedOut: pause.timedOut };
  }

  /** The coordinator's view: who holds the producer lease, the last claim, every node's published status. */
  async cluster(): Promise<Record<string, unknown>> {
    const { coordinator } = this.#deps;
    const producer = this.#opts.producerName;
    try {
      const [holder, claim, peers] = await Promise.all([
        coordinator.holder(producer),
        coordinator.lastClaim(producer),
        coordinator.peers(),
      ]);
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
      if (this.#deps.chain.status().state === "running") await this.#isPaused().catch(() => undefined);
      await this.#deps.coordinator.publish({ api: this.#api, ...this.status() });
      await this.#finalizers.check();
    } catch (error) {
      this.#logger.debug({ err: error }, "could not publish our status");
    }
  }

  /** Stops following the node and gives the lease up. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#startResume.abort();
    clearInterval(this.#scheduleTimer);
    clearInterval(this.#publishTimer);
    clearInterval(this.#guardTimer);
    this.#closeFence();
    await this.#fence?.close();
    this.#deps.chain.off("block", this.#onBlock);
    this.#deps.chain.off("vote-missed", this.#finalizers.onVoteMissed);
    this.#deps.chain.off("state", this.#onState);
    this.#watch.wake();
    await this.#deps.coordinator.close();
  }

  // Reads the active schedule again; keeps the old one when nodeos does not answer.
  async #refreshSchedule(): Promise<void> {
    try {
      this.#watch.setSchedule(await this.#deps.readSchedule());
    } catch (error) {
      this.#logger.debug({ err: error }, "producer schedule unavailable");
    }
    await this.#finalizers.refreshActive();
  }

  /** Waits for the end of our round (bounded by pauseTimeout), pauses, confirms, then releases our claim. */
  async safelyPause(ctx: Pick<JobContext, "signal" | "progress">): Promise<PauseResult> {
    const { coordinator } = this.#deps;
    const started = this.#clock.now();
    let waitedForRound = false;
    let timedOut = false;
    if (this.#watch.snapshot().state === "producing") {
      waitedForRound = true;
      ctx.progress({ message: "waiting for the end of our round" });
      const done = await this.#watch.waitUntil(
        () => this.#watch.snapshot().state !== "producing",
        started + this.#opts.pauseTimeout,
        ctx.signal,
      );
      timedOut = !done;
      if (timedOut)
        this.#logger.warn({ timeoutMs: this.#opts.pauseTimeout }, "our round did not end within the pause timeout: pausing now");
    }
    ctx.signal.throwIfAborted();
    ctx.progress({ message: "pausing production" });
    await this.#pauseConfirmed();
    // A block being signed when the pause arrived may still come out: let its line land before naming our last block.
    await this.#clock.sleep(2 * this.#opts.blockInterval + 50);
    const lastProduced = this.#watch.snapshot().lastProducedHere?.num ?? null;
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
      const { producing, allPaused, unreachable } = await producingPeer(coordinator, {
        configured: this.#opts.peers ?? [],
        ownApi: this.#api,
        token: this.#opts.peerToken,
      });
      watchRotationToo = coordinator.kind === "local" && !allPaused;
      ctx.signal.throwIfAborted();
      if (producing !== undefined) {
        this.#countResumeRefusal();
        throw ProductionErrors.unsafeResume(`${producing.node ?? producing.api} (${producing.api}) answers that it produces`, {
          details: { reason: "peer-producing", peer: producing.api, ...(producing.node === null ? {} : { node: producing.node }) },
        });
      }
      // Without etcd nothing but the peers' own answers can rule them out: one that does not answer blocks the resume.
      if (coordinator.kind === "local") this.#handshake.requireAnswers(unreachable, options);
    }
    ctx.progress({ message: "taking the producer lease" });
    let acquired: Awaited<ReturnType<Coordinator["acquire"]>>;
    try {
      acquired = await coordinator.acquire(producer);
    } catch (error) {
      throw ProductionErrors.coordinator((error as Error).message, { cause: error });
    }
    if (!acquired.acquired) {
      this.#countResumeRefusal();
      throw ProductionErrors.leaseHeld(acquired.holder, { details: { holder: acquired.holder } });
    }
    let resumed = false;
    let intent: AnnouncedIntent | undefined;
    try {
      const claim = await coordinator.lastClaim(producer);
      const reason =
        this.#unsafeReason(claim, options) ?? (watchRotationToo ? await this.#producedWithinRotation(ctx, options) : undefined);
      if (reason !== undefined) {
        this.#countResumeRefusal();
        throw ProductionErrors.unsafeResume(reason.message, { details: reason.details });
      }
      ctx.signal.throwIfAborted();
      if (options.onlyIf?.() === false)
        throw ProductionErrors.unsafeResume("production was paused meanwhile", { details: { reason: "paused-meanwhile" } });
      if (coordinator.kind === "local") intent = await this.#handshake.announce(ctx, options);
      await coordinator.claim(producer);
      ctx.progress({ message: "resuming production" });
      if (intent !== undefined) {
        // Checked in the same turn as the fence opens: no peer's intent can come in between.
        const lost = this.#handshake.lost(intent);
        if (lost !== undefined) {
          this.#countResumeRefusal();
          throw ProductionErrors.unsafeResume(lost, { details: { reason: "intent-lost" } });
        }
      }
      this.#openFence(options.releasedThrough);
      this.#pauseSeq++;
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
      if (!resumed) {
        this.#closeFence();
        await coordinator.release(producer).catch(() => undefined);
      }
      throw error;
    } finally {
      if (intent !== undefined) this.#handshake.end(intent);
    }
    this.#leaseLost = undefined;
    const head = this.#watch.snapshot().lastBlock;
    this.#logger.info({ head: head?.num }, "production resumed");
    // Finality moves with production; a failure is reported, never thrown: production is resumed here now.
    const finalizer = await this.#finalizers.activate(ctx.signal);
    return { resumed: true, node: coordinator.nodeId, head: head?.num ?? null, ...(finalizer === null ? {} : { finalizer }) };
  }

  /** Whether the signing fence may sign now: production resumed here through the safe resume and, with etcd, a live producer lease. */
  signingVerdict(): SigningVerdict {
    if (this.#signing === undefined) return { allowed: false, reason: "production is not resumed on this node" };
    const { coordinator } = this.#deps;
    if (coordinator.kind !== "local" && !coordinator.holds(this.#opts.producerName)) {
      return { allowed: false, reason: "this node holds no live producer lease" };
    }
    return { allowed: true };
  }

  /** A peer announces that it is about to resume: granted unless we produce, granted another, or win the tie-break. */
  considerIntent(intent: ResumeIntent): IntentAnswer {
    return this.#handshake.consider(intent);
  }

  /** A peer's intent is over: the grant we gave it ends. */
  releaseIntent(id: string): void {
    this.#handshake.release(id);
  }

  /** Pauses nodeos at once (no waiting for the end of our round); production is no longer meant here. */
  async pauseNow(): Promise<void> {
    await this.#pauseConfirmed();
  }

  #openFence(releasedThrough: number | undefined): void {
    const head = this.#watch.snapshot().lastBlock?.num ?? 0;
    this.#signing = { since: this.#clock.now(), fromNum: Math.max(head, releasedThrough ?? 0) };
    this.#guard = undefined;
  }

  #closeFence(): void {
    this.#signing = undefined;
  }

  // The guard: a block of ours from another node while we sign means two nodes produce: stop here at once.
  #trip(report: Omit<GuardReport, "at" | "action">): void {
    if (this.#signing === undefined) return;
    this.#closeFence();
    this.#deps.metrics?.guardTrips.inc({ reason: report.trip });
    this.#logger.error({ ...report }, `double production: ${report.reason}; pausing production on this node now`);
    this.#guard = { ...report, at: this.#clock.now(), action: "paused" };
    void this.#pauseConfirmed().catch((error: unknown) => {
      this.#guard = { ...report, at: this.#clock.now(), action: "pause-failed" };
      this.#logger.error(
        { err: error, code: isManageosError(error) ? error.code : undefined },
        "could not pause nodeos after the guard tripped; the signing fence refuses",
      );
    });
  }

  // While we sign, a peer that answers that it signs too trips the guard (without etcd nothing else would show it
  // during our round: both nodes then sign their own blocks for the same slots).
  async #pollPeersWhileSigning(): Promise<void> {
    if (this.#signing === undefined || this.#guardPolling || this.#deps.coordinator.kind !== "local") return;
    const apis = this.#opts.peers ?? [];
    if (apis.length === 0) return;
    this.#guardPolling = true;
    try {
      const views = await viewPeers(
        apis.filter((a) => a !== this.#api),
        this.#opts.peerToken,
        this.#deps.coordinator.nodeId,
      );
      const other = views.find((v) => v.signing === true);
      if (other !== undefined)
        this.#trip({
          trip: "peer-producing",
          reason: `${other.node ?? other.api} (${other.api}) answers that it signs blocks of ours too`,
          peer: other.api,
        });
    } finally {
      this.#guardPolling = false;
    }
  }

  // A node of ours that produces signs nothing between its rounds, for up to a rotation of the schedule: the claim
  // window cannot see it, a block of ours from elsewhere within the last rotation does. Blocks up to `releasedThrough`
  // are accounted for. Right after a start, without `releasedThrough`, it watches until a rotation has been seen; with
  // it (a handoff: the node that produced them just paused), it decides on what it has seen.
  async #producedWithinRotation(
    ctx: Pick<JobContext, "signal" | "progress">,
    options: ResumeOptions,
  ): Promise<{ message: string; details: Record<string, unknown> } | undefined> {
    const rotation = await watchRotation(this.#rotationDeps(), ctx.signal, {
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

  // Why resuming now could double-produce, or undefined when it cannot.
  #unsafeReason(
    claim: ProducerClaim | undefined,
    options: ResumeOptions = {},
  ): { message: string; details: Record<string, unknown> } | undefined {
    const now = this.#clock.now();
    const window = this.#opts.claimWindow;
    const me = this.#deps.coordinator.nodeId;
    const snap = this.#watch.snapshot();
    const releasedByPeer = claim !== undefined && claim.node !== me ? (claim.released?.lastProduced ?? undefined) : undefined;
    const accounted = Math.max(options.releasedThrough ?? -1, releasedByPeer ?? -1);
    const elsewhere = snap.lastProducedElsewhere;
    if (elsewhere !== undefined && now - elsewhere.timeMs < window && elsewhere.num > accounted) {
      const underway = snap.lastBlock?.producer === this.#opts.producerName;
      return {
        message: underway
          ? `our round is underway on another node (block #${elsewhere.num} ${now - elsewhere.timeMs} ms ago)`
          : `another node of ours produced block #${elsewhere.num} ${now - elsewhere.timeMs} ms ago, within the claim window of ${window} ms`,
        details: {
          reason: underway ? "round-underway-elsewhere" : "produced-within-claim-window",
          block: elsewhere.num,
          agoMs: now - elsewhere.timeMs,
          claimWindowMs: window,
        },
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
  async waitSafeToRestart(ctx: StepContext): Promise<void> {
    const safe = () => {
      const state = this.#watch.snapshot().state;
      return state === "just-produced" || state === "not-producing";
    };
    if (safe()) return;
    ctx.progress({ message: "waiting out our production round" });
    const round = this.#opts.roundLength * this.#opts.blockInterval;
    if (!(await this.#watch.waitUntil(safe, this.#clock.now() + Math.max(this.#opts.pauseTimeout, 3 * round), ctx.signal))) {
      this.#logger.warn("our round did not end in time; restarting anyway");
    }
  }

  /** Production state for the status API. */
  status(): Record<string, unknown> {
    const snap = this.#watch.snapshot();
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
      signing: this.#signing !== undefined,
      ...this.#finalizers.status(),
      fence: this.#fence?.signUrl ?? null,
      guard: this.#guard ?? null,
      intentsGranted: this.#handshake.grantedTo(),
      takeover: this.#takeover.status() ?? null,
      start: this.#startResume.status() ?? null,
    };
  }

  // Whether nodeos production is paused, asked now.
  async #isPaused(): Promise<boolean> {
    // An answer asked for before a pause or resume of ours came back after it: it no longer says what nodeos does.
    const asked = this.#pauseSeq;
    const paused = await this.#deps.chain.isProductionPaused();
    if (asked === this.#pauseSeq) this.#paused = paused;
    return paused;
  }

  // Two reasons not to decide yet end by themselves, and are waited out instead of refused: right after a start the
  // chain has been watched for less than the claim window (another node of ours producing cannot be ruled out yet),
  // and a silence no longer than a round (ours, while we are paused: nobody signs our slots). A node that is not
  // running is refused at once; one still not ready after both bounds is refused as before.
  async #waitDecidable(ctx: Pick<JobContext, "signal" | "progress">): Promise<void> {
    if (this.#deps.chain.status().state !== "running" || this.readyToResume() === undefined) return;
    const since = this.#watch.watching()?.since ?? this.#clock.now();
    const windowEnd = since + this.#opts.claimWindow;
    const roundEnd = this.#clock.now() + this.#opts.roundLength * this.#opts.blockInterval + this.#watch.freshLimit();
    ctx.progress({ message: `waiting until production can be decided: ${this.readyToResume()}` });
    await this.#watch.waitUntil(() => this.readyToResume() === undefined, Math.max(windowEnd, roundEnd), ctx.signal);
  }

  #assertReady(): void {
    const state = this.#deps.chain.status().state;
    if (state !== "running") throw ProductionErrors.notReady(`the node is ${state}`);
    const last = this.#watch.snapshot().lastBlock;
    const now = this.#clock.now();
    const watching = this.#watch.watching();
    if (last === undefined || watching === undefined) throw ProductionErrors.notReady("no block seen yet");
    if (now - last.timeMs > this.#watch.freshLimit()) {
      throw ProductionErrors.notReady(`the last block seen (#${last.num}) is ${now - last.timeMs} ms old: not synced`);
    }
    // Blocks of another node of ours in the claim window can only be ruled out after watching for that long.
    if (now - watching.since < this.#opts.claimWindow) {
      throw ProductionErrors.notReady(
        `watching the chain for ${now - watching.since} ms, less than the claim window of ${this.#opts.claimWindow} ms`,
      );
    }
  }

  // Counts a refused resume.
  #countResumeRefusal(): void {
    this.#deps.metrics?.guardTrips.inc({ reason: "resume-refused" });
  }

  async #pauseConfirmed(options: { keepWanted?: boolean } = {}): Promise<void> {
    const { chain } = this.#deps;
    // The fence first: from here on nothing is signed, whatever nodeos does with the pause.
    this.#closeFence();
    this.#pauseSeq++;
    let last: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await chain.pauseProduction(options);
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
    this.#closeFence();
    this.#deps.metrics?.guardTrips.inc({ reason: trip });
    // Still meant to produce here: once the lease is live again, production comes back through the checks of a start.
    const wanted = this.#deps.chain.wantsProduction();
    this.#logger.error({ reason, resumesWhenLive: wanted }, "producer lease not renewed in time: pausing production now");
    try {
      await this.#pauseConfirmed({ keepWanted: wanted });
    } catch (error) {
      this.#logger.error({ err: error, code: isManageosError(error) ? error.code : undefined }, "could not pause after losing the lease");
    }
  }

  // Our lease is live again after it was lost: a node still meant to produce decides as after a start (peers, the
  // producer lease, the claim window), so it resumes by itself only when nobody else took production meanwhile.
  #onLeaseRegained(): void {
    if (this.#leaseLost === undefined || this.#closing.signal.aborted) return;
    this.#logger.warn({ lost: this.#leaseLost, meantToProduce: this.#deps.chain.wantsProduction() }, "etcd lease live again");
    if (this.#deps.chain.status().state === "running" && this.#signing === undefined) this.#onRunning();
  }

  readonly #onBlock = (block: BlockEvent): void => {
    this.#watch.observe(block);
    const signing = this.#signing;
    if (
      block.kind === "received" &&
      block.producer === this.#opts.producerName &&
      signing !== undefined &&
      block.num > signing.fromNum &&
      !this.#watch.producedHere(block.num, block.idPrefix)
    ) {
      this.#trip({
        trip: "produced-elsewhere",
        reason: `block #${block.num} of ours came from another node while this node signs`,
        block: block.num,
      });
    }
    if (block.kind === "produced") {
      this.#paused = false;
      if (this.#deps.coordinator.kind !== "local" && !this.#deps.coordinator.holds(this.#opts.producerName) && !this.#guarding) {
        this.#guarding = true;
        void this.#onLeaseLost("produced a block without holding the producer lease", "produced-without-lease").finally(() => {
          this.#guarding = false;
        });
      }
    }
    this.#watch.wake();
  };

  readonly #onState = (state: ChainState): void => {
    if (state === "running") {
      this.#onRunning();
      return;
    }
    this.#startResume.abort();
    // nodeos starts paused again: production comes back only through the safe resume.
    this.#closeFence();
    this.#applyUpstream();
    this.#watch.reset();
    this.#paused = undefined;
  };

  // nodeos started (always paused in bp mode): a node meant to produce enters production through the safe resume.
  #onRunning(): void {
    this.#startResume.abort();
    if (!this.#started || this.#closing.signal.aborted || !this.#deps.chain.wantsProduction()) return;
    this.#startResume.begin();
  }

  // What the parts that look for another producer of ours need: the settings, the coordinator, the chain seen.
  #rotationDeps(): RotationDeps & { readonly options: () => ProductionOptions } {
    return {
      options: () => this.#opts,
      coordinator: this.#deps.coordinator,
      api: () => this.#api,
      watch: this.#watch,
      clock: this.#clock,
      logger: this.#logger,
      refreshSchedule: () => this.#refreshSchedule(),
    };
  }

  #handoffDeps(): HandoffDeps {
    return {
      options: () => this.#opts,
      nodeId: this.#deps.coordinator.nodeId,
      watch: this.#watch,
      clock: this.#clock,
      logger: this.#logger,
      isPaused: () => this.#isPaused(),
      safelyPause: (ctx) => this.safelyPause(ctx),
      safelyResume: (ctx, options) => this.safelyResume(ctx, options),
    };
  }
}
