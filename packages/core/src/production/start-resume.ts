import { isManageosError } from "../errors/manageos-error.js";
import { peerApis, viewPeers } from "./peers.js";
import type { Production } from "./production-service.js";

/** Where production stands after a start of nodeos on a node meant to produce, as the status API shows it. */
export interface StartResumeStatus {
  /**
   * `waiting-sync`: until the node follows the chain and has watched it for a claim window; `watching`: for a rotation
   * of the schedule (until `until`), for a block of ours from another node; `resumed`; `refused`: another node of ours
   * produces, production stays paused here; `skipped`: production was paused meanwhile, or the takeover asks for it.
   */
  readonly state: "waiting-sync" | "watching" | "resumed" | "refused" | "skipped";
  readonly reason?: string;
  readonly code?: string;
  readonly until?: number;
  readonly at: number;
}

// Refusals that end by themselves: the node is not synced yet, the coordinator cannot be reached.
const RETRIED = new Set(["PRD_ERR_NOT_READY", "PRD_ERR_COORDINATOR"]);

/**
 * Enters production after a start of nodeos on a node meant to produce (nodeos itself always starts paused), once
 * nothing says another node of ours produces: no peer answers that it produces, and, unless every peer answered that
 * it is paused or the etcd lease decides, no block of ours came from elsewhere during a full rotation of the schedule.
 * Then the safe resume, with all its checks. A refusal leaves production paused here, logged at error.
 */
export async function resumeOnStart(production: Production, signal: AbortSignal, report: (status: StartResumeStatus) => void): Promise<void> {
  const { options, coordinator, clock, logger, tracker } = production;
  const skip = (reason: string) => {
    logger.info({ reason }, "production not resumed after the start");
    report({ state: "skipped", reason, at: clock.now() });
  };
  const refuse = (reason: string, code?: string) => {
    production.countStartRefusal();
    logger.error({ reason, code }, "production stays paused on this node after its start: resume it by hand once no other node of ours produces");
    report({ state: "refused", reason, ...(code === undefined ? {} : { code }), at: clock.now() });
  };
  for (;;) {
    report({ state: "waiting-sync", at: clock.now() });
    while (!(await production.waitUntil(() => production.readyToResume() === undefined, clock.now() + 60_000, signal))) {
      // Not synced yet (a long replay, a catch-up): keep waiting while nodeos runs.
    }
    const watch = production.watching();
    if (watch === undefined) continue;
    if (!production.wantsProduction()) return skip("production was paused meanwhile");

    const apis = await peerApis(coordinator, options.peers ?? [], production.api);
    const views = await viewPeers(apis, options.peerToken, coordinator.nodeId);
    signal.throwIfAborted();
    const producing = views.find((v) => v.paused === false);
    if (producing !== undefined) {
      const peer = producing.node ?? producing.api;
      if (production.takeOverOnce()) return skip(`${peer} produces: the takeover asks it for production`);
      return refuse(`${peer} (${producing.api}) produces`);
    }
    const peersPaused = apis.length > 0 && views.length === apis.length && views.every((v) => v.paused === true);

    if (tracker.snapshot().schedule.length === 0) await production.refreshSchedule();
    const snap = tracker.snapshot();
    if (snap.schedule.length === 0) {
      // Whether our slots come round, and how often, is unknown: decide once the schedule is read.
      logger.warn("the producer schedule cannot be read: production waits for it");
      await clock.sleep(options.claimWindow, signal);
      continue;
    }
    const round = options.roundLength * options.blockInterval;
    const horizon = snap.schedule.length * round + round;
    const elsewhere = () => production.oursSince(watch.fromNum).filter((b) => b.where === "elsewhere" && clock.now() - b.timeMs <= horizon).at(-1);
    // Without a lease or every peer's word, only a rotation watched in full shows whether another node produces our slots.
    if (coordinator.kind === "local" && !peersPaused && snap.inSchedule) {
      const until = watch.since + horizon;
      if (clock.now() < until) {
        report({ state: "watching", until, at: clock.now() });
        logger.info({ untilMs: until - clock.now(), peers: apis.length, answered: views.length }, "watching a rotation for another node of ours before producing");
        await production.waitUntil(() => elsewhere() !== undefined, until, signal);
      }
      const seen = elsewhere();
      if (seen !== undefined) return refuse(`another node of ours produced block #${seen.num} since this node started`);
    }
    if (!production.wantsProduction()) return skip("production was paused meanwhile");
    try {
      await production.safelyResume({ signal, progress: () => undefined }, { onlyIf: () => production.wantsProduction() });
      logger.info("production resumed after the start");
      report({ state: "resumed", at: clock.now() });
      return;
    } catch (error) {
      signal.throwIfAborted();
      const code = isManageosError(error) ? error.code : undefined;
      if (code !== undefined && RETRIED.has(code)) {
        logger.warn({ code, reason: (error as Error).message }, "production not resumed after the start yet: trying again");
        await clock.sleep(options.claimWindow, signal);
        continue;
      }
      if (!production.wantsProduction()) return skip("production was paused meanwhile");
      return refuse((error as Error).message, code);
    }
  }
}
