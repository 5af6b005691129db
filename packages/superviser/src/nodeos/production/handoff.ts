import { isManageosError, type JobContext } from "@manageos/core";
import { ProductionErrors } from "./errors.js";
import { PeerClient } from "./peer-client.js";
import { signs } from "./peers.js";
import type { Logger } from "pino";
import type { BlockWatch } from "./block-watch.js";
import type { ProductionClock } from "./clock.js";
import type { PauseResult, ProductionOptions, ResumeOptions, StepContext } from "./production-options.js";
import type { OurBlock } from "./production-state.js";

/** What a handoff reports: who produced which of our slots around it, and how many slots nobody produced. */
export interface HandoffReport {
  readonly from: { readonly node: string; readonly produced: [number, number][]; readonly lastProduced: number | null };
  readonly to: {
    readonly api: string;
    readonly node: string | null;
    readonly produced: [number, number][];
    readonly firstProduced: number | null;
  };
  /** Slots of ours between our last block and the peer's first that nobody produced. */
  readonly missedSlots: number | null;
  /** Slots of ours that both nodes produced, as seen here (a block we produced that also came in from elsewhere). */
  readonly doubleProduced: number;
  readonly pause: Record<string, unknown>;
  /** Spring: the finalizer key active before and after, as the peer's resume reported it (null without finalizer keys). */
  readonly finalizer: Record<string, unknown> | null;
}

/** What a handoff needs of production on this node. */
export interface HandoffDeps {
  /** The settings in force now (a reload may change them). */
  readonly options: () => Pick<ProductionOptions, "producerName" | "blockInterval" | "roundLength" | "claimWindow">;
  readonly nodeId: string;
  readonly watch: Pick<BlockWatch, "snapshot" | "oursSince" | "missedBetween" | "waitUntil">;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  isPaused(): Promise<boolean>;
  safelyPause(ctx: StepContext): Promise<PauseResult>;
  safelyResume(ctx: StepContext, options: ResumeOptions): Promise<unknown>;
}

/** Moves production from this node to the peer at `to`, in the order that cannot double-produce. */
export async function handoff(
  deps: HandoffDeps,
  ctx: JobContext,
  params: { to: string; token?: string; waitForPeerRound?: boolean },
): Promise<HandoffReport> {
  const peer = new PeerClient(params.to, params.token, 10_000);
  const { logger, clock, watch } = deps;
  const options = deps.options();
  ctx.progress({ current: 0, total: 4, message: `checking ${params.to}` });
  const status = await peer.status();
  const peerProduction = status.production as { paused?: unknown; node?: unknown; signing?: unknown } | null | undefined;
  if (peerProduction === null || peerProduction === undefined)
    throw ProductionErrors.handoffRefused(params.to, "the peer is not in bp mode");
  if (status.state !== "running") throw ProductionErrors.handoffRefused(params.to, `the peer's node is ${String(status.state)}`);
  const peerSigning = typeof peerProduction.signing === "boolean" ? peerProduction.signing : null;
  if (signs({ signing: peerSigning, paused: typeof peerProduction.paused === "boolean" ? peerProduction.paused : null })) {
    throw ProductionErrors.handoffRefused(params.to, "the peer already produces");
  }
  if (await deps.isPaused()) throw ProductionErrors.handoffRefused(params.to, "this node does not produce; resume the peer instead");
  const startNum = (watch.snapshot().lastBlock?.num ?? 0) + 1;

  ctx.progress({ current: 1, total: 4, message: "pausing here at the end of our round" });
  const pause = await deps.safelyPause(ctx);
  ctx.progress({ current: 2, total: 4, message: `asking ${params.to} to resume` });
  // Always said, even when we produced nothing since our start (0): the peer decides on what it has seen, without
  // watching a rotation first, while nobody produces.
  const through = pause.lastProduced ?? 0;
  let resumedThere: unknown;
  try {
    // A peer that started less than a claim window ago, or sits in a silent round, waits that out before it decides.
    resumedThere = await peer.call(
      "POST",
      `/v1/nodeos/safely_resume_production?sync=true&released_through=${through}`,
      options.claimWindow + 30_000,
    );
  } catch (error) {
    // A coded refusal means the peer did not resume: production comes back here. Anything else is unknown: stay paused.
    const refused = isManageosError(error) && error.code !== "PRD_ERR_PEER";
    let resumedHere = false;
    if (refused) {
      try {
        await deps.safelyResume(ctx, { releasedThrough: through });
        resumedHere = true;
      } catch (again) {
        logger.error({ err: again }, "handoff refused and production could not resume here");
      }
    }
    const reason = isManageosError(error) ? `${error.code}: ${error.message}` : String(error);
    throw ProductionErrors.handoffRefused(params.to, reason, { cause: error, details: { resumedHere, pause } });
  }

  // The peer's first round tells which slots it took; wait for it, bounded by two rotations and a round.
  ctx.progress({ current: 3, total: 4, message: "waiting for the peer's first round" });
  const schedule = watch.snapshot().schedule.length;
  const rotation = Math.max(1, schedule) * options.roundLength * options.blockInterval;
  const roundDone = () => {
    const elsewhere = watch.oursSince(startNum).filter((b) => b.where === "elsewhere");
    const last = watch.snapshot().lastBlock;
    return elsewhere.length > 0 && last !== undefined && last.producer !== options.producerName;
  };
  // A shutdown does not wait for it: the peer resumed, which is what the stop needs.
  if (params.waitForPeerRound !== false) {
    await watch.waitUntil(roundDone, clock.now() + 2 * rotation + options.roundLength * options.blockInterval + 2_000, ctx.signal);
  }
  const ours = watch.oursSince(startNum);
  const here = ours.filter((b) => b.where === "here");
  const there = ours.filter((b) => b.where === "elsewhere");
  // Our last block may predate the handoff when our round had not come yet.
  const lastHere = here.at(-1) ?? watch.snapshot().lastProducedHere;
  const firstThere = there[0];
  const hereNums = new Set(here.map((b) => b.num));
  const report: HandoffReport = {
    from: { node: deps.nodeId, produced: ranges(here), lastProduced: lastHere?.num ?? null },
    to: {
      api: params.to,
      node: typeof peerProduction.node === "string" ? peerProduction.node : null,
      produced: ranges(there),
      firstProduced: firstThere?.num ?? null,
    },
    missedSlots: lastHere !== undefined && firstThere !== undefined ? watch.missedBetween(lastHere, firstThere) : null,
    doubleProduced: there.filter((b) => hereNums.has(b.num)).length,
    pause: { ...pause },
    finalizer: (resumedThere as { result?: { finalizer?: Record<string, unknown> } } | undefined)?.result?.finalizer ?? null,
  };
  ctx.progress({ current: 4, total: 4, message: "handed off" });
  logger.info(
    { to: params.to, lastHere: report.from.lastProduced, firstThere: report.to.firstProduced, missed: report.missedSlots },
    "production handed off",
  );
  return report;
}

// [[292, 295], [304, 307]] from consecutive block numbers.
function ranges(blocks: readonly OurBlock[]): [number, number][] {
  const out: [number, number][] = [];
  for (const { num } of blocks) {
    const last = out.at(-1);
    if (last !== undefined && num === last[1] + 1) last[1] = num;
    else out.push([num, num]);
  }
  return out;
}
