import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { Chain } from "../chain/chain.js";
import { type ConfigSources, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { isManageosError } from "../errors/manageos-error.js";
import type { JobRecord } from "../jobs/job.js";
import { planReload, type ReloadPlan } from "./reload-plan.js";

/** A chain whose start settings can be replaced; they apply at its next start. */
export interface Reconfigurable {
  reconfigure(config: Readonly<Config>): void;
}

/** True when the chain takes new start settings. */
export function isReconfigurable(chain: Chain): chain is Chain & Reconfigurable {
  return typeof (chain as Chain & Partial<Reconfigurable>).reconfigure === "function";
}

/** What the reloader drives. */
export interface ConfigReloaderDeps {
  readonly chain: Chain;
  readonly logger: Logger;
  /** Submits the safely_reload job (rolling: never during our round; handoff or wait-round for a producer). */
  readonly safelyReload: () => JobRecord;
  /** Settings production reads live. */
  readonly applyLive?: (config: Readonly<Config>) => void;
}

/** What one reload decided, for logs and tests. */
export interface ReloadOutcome {
  readonly outcome: "invalid" | "unchanged" | "applied" | "restarting";
  readonly plan?: ReloadPlan;
  readonly problems?: readonly string[];
  readonly job?: string;
}

/**
 * Re-reads the configuration from its sources when the mounted files change, validates it, applies what can be
 * applied live and restarts the node through the safely_reload job for what config.ini needs. An invalid new
 * configuration is logged with every problem and ignored: the node keeps running on the old one.
 */
export class ConfigReloader {
  readonly #sources: ConfigSources;
  readonly #deps: ConfigReloaderDeps;
  readonly #logger: Logger;
  #current: Readonly<Config>;
  #templateHash: string | undefined;
  #last: ReloadOutcome | undefined;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(opts: { sources: ConfigSources; config: Readonly<Config> }, deps: ConfigReloaderDeps) {
    this.#sources = opts.sources;
    this.#current = opts.config;
    this.#deps = deps;
    this.#logger = deps.logger.child({ module: "config-reload" });
  }

  /** The configuration in force. */
  get config(): Readonly<Config> {
    return this.#current;
  }

  /** The last reload's outcome, for the status API. */
  get last(): ReloadOutcome | undefined {
    return this.#last;
  }

  /** Notes the template's content as the baseline. */
  async start(): Promise<void> {
    this.#templateHash = await hashOf(this.#current.node.configTemplate);
  }

  /** Reloads now; reloads run one at a time, in order. */
  reload(reason: string): Promise<ReloadOutcome> {
    const next = this.#busy.then(() => this.#reload(reason));
    this.#busy = next.catch(() => undefined);
    return next;
  }

  async #reload(reason: string): Promise<ReloadOutcome> {
    let config: Readonly<Config>;
    try {
      config = await loadConfig(this.#sources);
    } catch (error) {
      if (!isManageosError(error)) throw error;
      const problems = Array.isArray(error.details?.problems) ? (error.details.problems as string[]) : [error.message];
      this.#logger.error({ reason, code: error.code, problems }, `new configuration is invalid and was ignored:\n${problems.join("\n")}`);
      return this.#done({ outcome: "invalid", problems });
    }
    const templateHash = await hashOf(config.node.configTemplate);
    const plan = planReload(this.#current, config, templateHash !== this.#templateHash);
    this.#current = config;
    this.#templateHash = templateHash;
    if (plan.needsManageosRestart.length > 0) {
      this.#logger.warn({ paths: plan.needsManageosRestart }, "these settings changed but apply only when manageos restarts");
    }
    if (plan.live.length > 0) {
      this.#deps.applyLive?.(config);
      this.#logger.info({ paths: plan.live }, "settings applied without a restart");
    }
    if (plan.restart.length === 0) return this.#done({ outcome: plan.live.length > 0 ? "applied" : "unchanged", plan });
    if (!isReconfigurable(this.#deps.chain)) {
      this.#logger.warn({ paths: plan.restart }, "this node cannot take new start settings; restart manageos to apply them");
      return this.#done({ outcome: "applied", plan });
    }
    // nodeos starts paused in bp mode: production comes back only through the safe resume (or a peer took it).
    this.#deps.chain.reconfigure(config);
    // Production takes what belongs to the next start too (the blocksigner the signing fence forwards to).
    if (plan.live.length === 0) this.#deps.applyLive?.(config);
    const job = this.#deps.safelyReload();
    this.#logger.info({ paths: plan.restart, job: job.id }, "node settings changed: rolling restart submitted");
    return this.#done({ outcome: "restarting", plan, job: job.id });
  }

  #done(outcome: ReloadOutcome): ReloadOutcome {
    this.#last = outcome;
    return outcome;
  }
}

async function hashOf(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  } catch {
    return "unreadable";
  }
}
