import type { JobContext } from "@manageos/core";
import { ProductionErrors } from "./errors.js";
import { idle, peerApis, viewPeers } from "./peers.js";
import type { Production } from "./production-service.js";
import { findOtherProducer, watchingRotationMessage } from "./start-resume.js";

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

/**
 * Makes a restart safe. Not producing: restart (waiting out a round of ours in progress elsewhere is not needed,
 * but a round of ours here is). Producing, policy `handoff`: hand production to a paused, synced peer; without one,
 * fall back to `wait-round`. Policy `wait-round`: pause at the end of our round and resume once restarted.
 */
export async function prepareRestart(production: Production, ctx: Ctx): Promise<RestartPlan> {
  const { options, logger } = production;
  const policy = options.reloadPolicy ?? "wait-round";
  const producing = (await production.isPaused().catch(() => undefined)) === false;
  if (!producing) {
    await production.waitSafeToRestart(ctx);
    return { policy, action: "restart-paused", resumeAfter: false };
  }
  if (policy === "handoff") {
    ctx.progress({ message: "looking for a peer to hand production to" });
    const apis = await peerApis(production.coordinator, options.peers ?? [], production.api);
    const peer = (await viewPeers(apis, options.peerToken, production.coordinator.nodeId)).find((v) => v.running && v.synced && idle(v));
    if (peer !== undefined) {
      ctx.progress({ message: `handing production to ${peer.api}` });
      const report = await production.handoff(ctx as JobContext, { to: peer.api });
      ctx.log(`handed production to ${peer.api} before restarting`);
      return { policy, action: "handed-off", resumeAfter: false, to: peer.api, detail: { ...report } };
    }
    logger.warn({ peers: apis }, "no paused, synced peer to hand production to: waiting for the end of our round instead");
    ctx.log("no peer to hand production to: pausing at the end of our round", "warn");
  }
  ctx.progress({ message: "pausing at the end of our round" });
  const pause = await production.safelyPause(ctx);
  return { policy, action: "paused-for-restart", resumeAfter: true, detail: { ...pause } };
}

/**
 * After a restart that paused us: resume safely once the node is ready, retrying while it is not (within `timeoutMs`),
 * and only once no other node of ours produces, judged as after any start of nodeos (`findOtherProducer`): a node of
 * ours resumed meanwhile may not have reached our slots yet, and the claim window alone would not see it.
 */
export async function resumeAfterRestart(production: Production, ctx: Ctx, timeoutMs: number): Promise<Record<string, unknown>> {
  const { clock } = production;
  const deadline = clock.now() + timeoutMs;
  ctx.progress({ message: "resuming production once ready" });
  for (;;) {
    ctx.signal.throwIfAborted();
    const notReady = production.readyToResume();
    if (notReady === undefined) {
      const other = await findOtherProducer(production, ctx.signal, (until) => ctx.progress({ message: watchingRotationMessage(until, clock.now()) }));
      if (other.found === false) return production.safelyResume(ctx, { othersChecked: true });
      if (other.found === true) {
        production.countResumeRefusal();
        throw ProductionErrors.unsafeResume(other.reason, { details: { reason: "other-producer", ...(other.peer === undefined ? {} : { peer: other.peer.api }) } });
      }
      if (clock.now() > deadline) throw ProductionErrors.notReady(other.reason);
      await clock.sleep(Math.min(1_000, Math.max(0, deadline - clock.now())), ctx.signal);
      continue;
    }
    if (clock.now() > deadline) throw ProductionErrors.notReady(notReady);
    await production.waitUntil(() => production.readyToResume() === undefined, Math.min(deadline, clock.now() + 1_000), ctx.signal);
  }
}
