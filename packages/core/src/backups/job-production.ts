import type { Logger } from "pino";
import type { Chain } from "../chain/chain.js";
import { isProducer } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import { isProducing, type ProductionAfterJob, resumeProductionAfterJob } from "../operator/production-after-job.js";
import type { ProductionService } from "../operator/services.js";
import { BackupErrors } from "./errors.js";
import { onTheHook } from "./node-wait.js";

/**
 * Block production around a job that stops the node: refused while we are on the hook to produce with production
 * on, paused before the stop in bp mode (so no block of ours is cut short), brought back once the node is back.
 */
export class JobProduction {
  readonly #bpMode: boolean;
  readonly #deps: { readonly chain: Chain; readonly production?: ProductionService; readonly logger: Logger };

  constructor(opts: { bpMode: boolean }, deps: { chain: Chain; production?: ProductionService; logger: Logger }) {
    this.#bpMode = opts.bpMode;
    this.#deps = deps;
  }

  /** Refuses `command` while we are on the hook to produce and the node produces. */
  async refuseWhenProducing(command: string): Promise<void> {
    const state = onTheHook(this.#deps.production);
    if (state !== undefined && !(await this.#producesNothing())) throw BackupErrors.producing(command, state);
  }

  /**
   * In bp mode a producer pauses before it stops, so no block of ours is cut short; the node then starts paused. Says
   * whether production was on, in which case the job resumes it once the node is back.
   */
  async pause(ctx: JobContext): Promise<boolean> {
    const chain = this.#deps.chain;
    if (!this.#bpMode || !isProducer(chain) || chain.status().state !== "running") return false;
    // Not knowing counts as paused: production is only brought back when it surely was on.
    const wasProducing = await isProducing(chain);
    const wasAboutToResume = !wasProducing && chain.wantsProduction();
    ctx.progress({ message: "pausing production" });
    // Through block-producer mode where it runs: its signing fence closes with the pause.
    await (this.#deps.production?.pauseNow?.() ?? chain.pauseProduction());
    ctx.log(
      wasProducing
        ? "production paused; it resumes through the safe resume once the node is back"
        : wasAboutToResume
          ? "production was to resume after the start of nodeos; it stays paused now (resume with safely_resume_production)"
          : "production was paused and stays paused (resume with safely_resume_production)",
      wasAboutToResume ? "warn" : "info",
    );
    return wasProducing;
  }

  /** Brings production the job paused back, through the safe resume. */
  resume(ctx: JobContext): Promise<ProductionAfterJob> {
    return resumeProductionAfterJob({ chain: this.#deps.chain, production: this.#deps.production, logger: this.#deps.logger }, ctx);
  }

  // A node that is not running, or whose production is paused (asked now, not cached), produces nothing, whatever
  // the schedule says: stopping it cuts no round short. A paused standby of a BP trio sees our round coming too.
  async #producesNothing(): Promise<boolean> {
    const chain = this.#deps.chain;
    if (chain.status().state !== "running") return true;
    return isProducer(chain) && (await chain.isProductionPaused().catch(() => false));
  }
}
