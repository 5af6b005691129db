import type { Coordinator, JobContext } from "@manageos/core";
import type { Logger } from "pino";
import type { ProductionClock } from "./clock.js";
import { ProductionErrors } from "./errors.js";
import type { HandoffReport } from "./handoff.js";
import { idle, peerApis, viewPeers } from "./peers.js";
import type { PauseResult, ProductionOptions, ResumeOptions, StepContext } from "./production-options.js";
import { findOtherProducer, type RotationDeps, watchingRotationMessage } from "./start-resume.js";

/** What was done before a restart, and whether production must resume after it. */
export interface RestartPlan {
  readonly policy: "handoff" | "wait-round";
  /** `restart-paused`: we did not produce; `handed-off`: a peer produces now; `paused-for-restart`: we resume after. */
  readonly action: "restart-paused" | "handed-off" | "paused-for-restart";
  readonly resumeAfter: boolean;
  readonly to?: string;
  readonly detail?: Record<string, unknown>;
}

type Ctx = Pick<JobContext, "signal" | "progress" | "log">;

/** What the restart policy needs of production on this node. */
export interface RestartPolicyDeps extends RotationDeps {
  readonly options: () => Pick<ProductionOptions, "reloadPolicy" | "roundLength" | "blockInterval" | "peers" | "peerToken">;
  readonly coordinator: Coordinator;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  /** Whether nodeos production is paused, asked now. */
  isPaused(): Promise<boolean>;
  /** Why a resume would be refused as not ready now, or undefined when it would not. */
  readyToResume(): string | undefined;
  /** Waits until a restart cannot interrupt our round. */
  waitSafeToRestart(ctx: StepContext): Promise<void>;
  handoff(ctx: JobContext, params: { to: string }): Promise<HandoffReport>;
  safelyPause(ctx: StepContext): Promise<PauseResult>;
  safelyResume(ctx: StepContext, options: ResumeOptions): Promise<Record<string, unknown>>;
  /** Counts a refused resume. */
  countResumeRefusal(): void;
}

/** What a producer does around a restart of nodeos, under `bp.reloadPolicy`. */
export class RestartPolicy {
  readonly #deps: RestartPolicyDeps;

  constructor(deps: RestartPolicyDeps) {
    this.#deps = deps;
  }

  /**
   * Makes a restart safe. Not producing: restart (waiting out a round of ours in progress elsewhere is not needed,
   * but a round of ours here is). Producing, policy `handoff`: hand production to a paused, synced peer; without one,
   * fall back to `wait-round`. Policy `wait-round`: pause at the end of our round and resume once restarted.
   */
  async prepare(ctx: Ctx): Promise<RestartPlan> {
    const deps = this.#deps;
    const { logger, coordinator } = deps;
    const options = deps.options();
    const policy = options.reloadPolicy ?? "wait-round";
    const producing = (await deps.isPaused().catch(() => undefined)) === false;
    if (!producing) {
      await deps.waitSafeToRestart(ctx);
      return { policy, action: "restart-paused", resumeAfter: false };
    }
    if (policy === "handoff") {
      ctx.progress({ message: "looking for a peer to hand production to" });
      const apis = await peerApis(coordinator, options.peers ?? [], deps.api());
      const peer = (await viewPeers(apis, options.peerToken, coordinator.nodeId)).find((v) => v.running && v.synced && idle(v));
      if (peer !== undefined) {
        ctx.progress({ message: `handing production to ${peer.api}` });
        const report = await deps.handoff(ctx as JobContext, { to: peer.api });
        ctx.log(`handed production to ${peer.api} before restarting`);
        return { policy, action: "handed-off", resumeAfter: false, to: peer.api, detail: { ...report } };
      }
      logger.warn({ peers: apis }, "no paused, synced peer to hand production to: waiting for the end of our round instead");
      ctx.log("no peer to hand production to: pausing at the end of our round", "warn");
    }
    ctx.progress({ message: "pausing at the end of our round" });
    const pause = await deps.safelyPause(ctx);
    return { policy, action: "paused-for-restart", resumeAfter: true, detail: { ...pause } };
  }

  /**
   * After a restart that paused us: resume safely once the node is ready, retrying while it is not (within `timeoutMs`),
   * and only once no other node of ours produces, judged as after any start of nodeos (`findOtherProducer`): a node of
   * ours resumed meanwhile may not have reached our slots yet, and the claim window alone would not see it.
   */
  async resumeAfter(ctx: Ctx, timeoutMs: number): Promise<Record<string, unknown>> {
    const deps = this.#deps;
    const { clock } = deps;
    const deadline = clock.now() + timeoutMs;
    ctx.progress({ message: "resuming production once ready" });
    for (;;) {
      ctx.signal.throwIfAborted();
      const notReady = deps.readyToResume();
      if (notReady === undefined) {
        const other = await findOtherProducer(deps, ctx.signal, (until) =>
          ctx.progress({ message: watchingRotationMessage(until, clock.now()) }),
        );
        if (other.found === false) return deps.safelyResume(ctx, { othersChecked: true });
        if (other.found === true) {
          deps.countResumeRefusal();
          throw ProductionErrors.unsafeResume(other.reason, {
            details: { reason: "other-producer", ...(other.peer === undefined ? {} : { peer: other.peer.api }) },
          });
        }
        if (clock.now() > deadline) throw ProductionErrors.notReady(other.reason);
        await clock.sleep(Math.min(1_000, Math.max(0, deadline - clock.now())), ctx.signal);
        continue;
      }
      if (clock.now() > deadline) throw ProductionErrors.notReady(notReady);
      await deps.watch.waitUntil(() => deps.readyToResume() === undefined, Math.min(deadline, clock.now() + 1_000), ctx.signal);
    }
  }
}
