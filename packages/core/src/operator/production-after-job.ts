import type { Logger } from "pino";
import type { Chain } from "../chain/chain.js";
import { isProducer } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import type { ProductionService } from "./services.js";

/** How long, once the node is back, the safe resume of production a job paused keeps retrying while not ready. */
export const RESUME_TIMEOUT_MS = 60_000;

/** What became of production a job paused (bp mode): the safe resume's answer, or why it did not resume. */
export type ProductionAfterJob = Record<string, unknown> | null;

/** Whether nodeos produces now; not knowing (not running, no answer) counts as not producing. */
export async function isProducing(chain: Chain): Promise<boolean> {
  if (!isProducer(chain) || chain.status().state !== "running") return false;
  return !(await chain.isProductionPaused().catch(() => true));
}

/**
 * Brings back production a job paused, through the safe resume after a restart (which waits until the node is ready
 * and refuses while another node of ours may produce). A refusal leaves production paused, loudly, and does not fail
 * the job: its work stands. A node that does not run (maintenance, a start that failed) leaves it paused at once.
 */
export async function resumeProductionAfterJob(
  deps: { chain: Chain; production: ProductionService | undefined; logger: Logger },
  ctx: JobContext,
): Promise<ProductionAfterJob> {
  const state = deps.chain.status().state;
  if (state !== "running") {
    ctx.log(`production stays paused: the node is ${state} (resume with safely_resume_production once it runs)`, "warn");
    return { resumed: false };
  }
  if (deps.production?.resumeAfterRestart === undefined) {
    ctx.log("production stays paused: no production service to resume it (resume with safely_resume_production)", "warn");
    return { resumed: false };
  }
  ctx.progress({ message: "resuming production" });
  try {
    const answer = await deps.production.resumeAfterRestart(ctx, RESUME_TIMEOUT_MS);
    return typeof answer === "object" && answer !== null ? { ...answer } : { resumed: true };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    ctx.log(`production stays paused: ${(error as Error).message} (resume with safely_resume_production)`, "error");
    deps.logger.error({ err: error }, "production paused for a job did not resume");
    return { resumed: false, error: { code: typeof code === "string" ? code : "UNKNOWN", message: (error as Error).message } };
  }
}
