import { type Coordinator, isManageosError } from "@manageos/core";
import type { Logger } from "pino";
import type { BlockWatch } from "./block-watch.js";
import type { ProductionClock } from "./clock.js";
import { type PeerView, producingPeer } from "./peers.js";
import type { ProductionOptions, ResumeOptions, StepContext } from "./production-options.js";
import type { OurBlock } from "./production-state.js";

/** Where production stands after a start of nodeos on a node meant to produce, as the status API shows it. */
export interface StartResumeStatus {
  /**
   * `waiting-sync`: until the node follows the chain and has watched it for a claim window; `watching`: for a rotation
   * of the schedule (until `until`), for a block of ours from another node; `waiting-peers`: without etcd, until every
   * configured peer answers (one that does not may be producing); `resumed`; `refused`: another node of ours
   * produces, production stays paused here; `skipped`: production was paused meanwhile, or the takeover asks for it.
   */
  readonly state: "waiting-sync" | "watching" | "waiting-peers" | "resumed" | "refused" | "skipped";
  readonly reason?: string;
  readonly code?: string;
  readonly until?: number;
  readonly at: number;
}

// Refusals that end by themselves: the node is not synced yet, the coordinator cannot be reached.
const RETRIED = new Set(["PRD_ERR_NOT_READY", "PRD_ERR_COORDINATOR", "PRD_ERR_PEER_UNREACHABLE"]);

/** Whether another node of ours may produce, as far as a node that just started can tell. */
export type OtherProducer =
  | { readonly found: false }
  | { readonly found: true; readonly reason: string; readonly peer?: PeerView }
  /** Not decidable yet (the schedule cannot be read, a peer does not answer): ask again later. */
  | { readonly found: undefined; readonly reason: string; readonly unreachable?: readonly string[] };

/** What looking for another node of ours that produces needs. */
export interface RotationDeps {
  /** The settings in force now (a reload may change them). */
  readonly options: () => Pick<ProductionOptions, "roundLength" | "blockInterval" | "peers" | "peerToken">;
  readonly coordinator: Coordinator;
  /** Our operator API, once listening: never asked as a peer. */
  readonly api: () => string | null;
  readonly watch: Pick<BlockWatch, "watching" | "snapshot" | "oursSince" | "waitUntil">;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  /** Reads the active schedule again. */
  refreshSchedule(): Promise<void>;
}

/**
 * Looks for another node of ours that produces, once nodeos runs again after a start (call it when the node is ready
 * to resume): a peer that answers that it produces (`bp.peers`, and with etcd the nodes' published addresses); then,
 * with the local coordinator, unless every peer answered that it is paused, a block of ours from another node during a
 * full rotation of the schedule plus a round, watched from the first block seen since the start: our slots come round
 * once in that time, so a node of ours that produces shows up. With etcd the producer lease decides instead (the safe
 * resume takes it). `onWatch` is told when a watch begins and until when.
 */
export async function findOtherProducer(deps: RotationDeps, signal: AbortSignal, onWatch: (until: number) => void): Promise<OtherProducer> {
  const { coordinator } = deps;
  const options = deps.options();
  if (deps.watch.watching() === undefined) return { found: undefined, reason: "no block seen since the start" };
  const { producing, allPaused, unreachable } = await producingPeer(coordinator, {
    configured: options.peers ?? [],
    ownApi: deps.api(),
    token: options.peerToken,
  });
  signal.throwIfAborted();
  if (producing !== undefined)
    return { found: true, reason: `${producing.node ?? producing.api} (${producing.api}) produces`, peer: producing };
  // Without etcd a peer that does not answer may be producing: wait until it answers (or a person resumes with the override).
  if (coordinator.kind === "local" && unreachable.length > 0)
    return { found: undefined, reason: `these peers did not answer: ${unreachable.join(", ")}`, unreachable };
  if (coordinator.kind !== "local" || allPaused) return { found: false };

  const rotation = await watchRotation(deps, signal, { wait: true, onWatch });
  if (!rotation.decided) return { found: undefined, reason: rotation.reason };
  if (rotation.seen !== undefined)
    return { found: true, reason: `another node of ours produced block #${rotation.seen.num} since this node started` };
  return { found: false };
}

/** The progress message of a job while it watches a rotation, until `until`. */
export function watchingRotationMessage(until: number, now: number): string {
  return `watching a rotation of the schedule for another node of ours (${Math.ceil((until - now) / 1000)} s)`;
}

/** What a rotation of the schedule showed: the last block of ours another node produced in it, if any. */
export type RotationWatch =
  | { readonly decided: true; readonly seen: OurBlock | undefined; readonly horizon: number }
  /** The schedule cannot be read, or no block was seen since the start: ask again later. */
  | { readonly decided: false; readonly reason: string };

/**
 * The last block of ours another node produced within a rotation of the active schedule plus a round (our slots come
 * round once in that time), numbered after `after` (blocks a paused node released), from what was seen since nodeos
 * started. With `wait`, watches until that much time has been seen since the first block, unless such a block shows
 * up first; `onWatch` is told when a watch begins and until when. A node not in the schedule has no slots to watch.
 */
export async function watchRotation(
  deps: RotationDeps,
  signal: AbortSignal,
  opts: { readonly after?: number; readonly wait: boolean; readonly onWatch?: (until: number) => void },
): Promise<RotationWatch> {
  const { clock, logger } = deps;
  const options = deps.options();
  const watch = deps.watch.watching();
  if (watch === undefined) return { decided: false, reason: "no block seen since the start" };
  if (deps.watch.snapshot().schedule.length === 0) await deps.refreshSchedule();
  const snap = deps.watch.snapshot();
  // Whether our slots come round, and how often, is unknown: decide once the schedule is read.
  if (snap.schedule.length === 0) return { decided: false, reason: "the producer schedule cannot be read" };
  if (!snap.inSchedule) return { decided: true, seen: undefined, horizon: 0 };
  const round = options.roundLength * options.blockInterval;
  const horizon = snap.schedule.length * round + round;
  const from = Math.max(watch.fromNum, (opts.after ?? -1) + 1);
  const elsewhere = () =>
    deps.watch
      .oursSince(from)
      .filter((b) => b.where === "elsewhere" && clock.now() - b.timeMs <= horizon)
      .at(-1);
  const until = watch.since + horizon;
  if (opts.wait && clock.now() < until && elsewhere() === undefined) {
    opts.onWatch?.(until);
    logger.info({ untilMs: until - clock.now() }, "watching a rotation for another node of ours before producing");
    await deps.watch.waitUntil(() => elsewhere() !== undefined, until, signal);
  }
  return { decided: true, seen: elsewhere(), horizon };
}

/** What entering production after a start of nodeos needs. */
export interface StartResumeDeps extends RotationDeps {
  readonly options: () => Pick<ProductionOptions, "roundLength" | "blockInterval" | "peers" | "peerToken" | "claimWindow">;
  /** Why a resume would be refused as not ready now, or undefined when it would not. */
  readyToResume(): string | undefined;
  /** Whether this node is meant to produce. */
  wantsProduction(): boolean;
  /** Starts the takeover after reboot unless it was tried already; true when started. */
  takeOverOnce(): boolean;
  safelyResume(ctx: StepContext, options: ResumeOptions): Promise<unknown>;
  /** Counts a resume after a start that was refused. */
  countStartRefusal(): void;
}

/**
 * Enters production after a start of nodeos on a node meant to produce (nodeos itself always starts paused), once
 * the node is synced and `findOtherProducer` finds none; then the safe resume, with all its checks. A producing peer
 * is asked for a handoff instead when `bp.takeover` is on. A refusal leaves production paused here, logged at error.
 */
export class StartResume {
  readonly #deps: StartResumeDeps;
  readonly #closing: AbortSignal;
  #status: StartResumeStatus | undefined;
  #task: AbortController | undefined;

  constructor(deps: StartResumeDeps & { readonly closing: AbortSignal }) {
    this.#deps = deps;
    this.#closing = deps.closing;
  }

  /** Where production stands after the last start, for the status API. */
  status(): StartResumeStatus | undefined {
    return this.#status;
  }

  /** nodeos runs (again): starts entering production, in place of an attempt still under way. */
  begin(): void {
    this.abort();
    const task = new AbortController();
    this.#task = task;
    void this.#run(AbortSignal.any([task.signal, this.#closing])).catch((error: unknown) => {
      if (task.signal.aborted || this.#closing.aborted) return;
      this.#deps.logger.error({ err: error }, "production not resumed after the start");
      this.#status = { state: "refused", reason: (error as Error).message, at: this.#deps.clock.now() };
    });
  }

  /** Gives the attempt under way up (nodeos stopped, production closes). */
  abort(): void {
    this.#task?.abort();
    this.#task = undefined;
  }

  #report(status: StartResumeStatus): void {
    this.#status = status;
  }

  async #run(signal: AbortSignal): Promise<void> {
    const deps = this.#deps;
    const { clock, logger } = deps;
    const options = deps.options();
    const skip = (reason: string) => {
      logger.info({ reason }, "production not resumed after the start");
      this.#report({ state: "skipped", reason, at: clock.now() });
    };
    const refuse = (reason: string, code?: string) => {
      deps.countStartRefusal();
      logger.error(
        { reason, code },
        "production stays paused on this node after its start: resume it by hand once no other node of ours produces",
      );
      this.#report({ state: "refused", reason, ...(code === undefined ? {} : { code }), at: clock.now() });
    };
    for (;;) {
      this.#report({ state: "waiting-sync", at: clock.now() });
      while (!(await deps.watch.waitUntil(() => deps.readyToResume() === undefined, clock.now() + 60_000, signal))) {
        // Not synced yet (a long replay, a catch-up): keep waiting while nodeos runs.
      }
      if (!deps.wantsProduction()) return skip("production was paused meanwhile");
      const other = await findOtherProducer(deps, signal, (until) => this.#report({ state: "watching", until, at: clock.now() }));
      if (other.found === undefined) {
        if (other.unreachable !== undefined) this.#report({ state: "waiting-peers", reason: other.reason, at: clock.now() });
        logger.warn({ reason: other.reason }, "production after the start cannot be decided yet");
        await clock.sleep(options.claimWindow, signal);
        continue;
      }
      if (other.found) {
        if (other.peer !== undefined && deps.takeOverOnce())
          return skip(`${other.peer.node ?? other.peer.api} produces: the takeover asks it for production`);
        return refuse(other.reason);
      }
      if (!deps.wantsProduction()) return skip("production was paused meanwhile");
      try {
        await deps.safelyResume({ signal, progress: () => undefined }, { onlyIf: () => deps.wantsProduction(), othersChecked: true });
        logger.info("production resumed after the start");
        this.#report({ state: "resumed", at: clock.now() });
        return;
      } catch (error) {
        signal.throwIfAborted();
        const code = isManageosError(error) ? error.code : undefined;
        if (code !== undefined && RETRIED.has(code)) {
          logger.warn({ code, reason: (error as Error).message }, "production not resumed after the start yet: trying again");
          await clock.sleep(options.claimWindow, signal);
          continue;
        }
        if (!deps.wantsProduction()) return skip("production was paused meanwhile");
        return refuse((error as Error).message, code);
      }
    }
  }
}
