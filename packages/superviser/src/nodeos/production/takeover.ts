import { type Coordinator, isManageosError } from "@manageos/core";
import type { Logger } from "pino";
import type { BlockWatch } from "./block-watch.js";
import type { ProductionClock } from "./clock.js";
import { PeerClient } from "./peer-client.js";
import { peerApis, signs, viewPeers } from "./peers.js";
import type { ProductionOptions } from "./production-options.js";

/** Where a takeover after reboot stands, as the status API shows it. */
export interface TakeoverStatus {
  readonly state: "waiting-sync" | "asking" | "took-over" | "skipped" | "failed";
  readonly reason?: string;
  readonly from?: string;
  readonly at: number;
  readonly report?: Record<string, unknown>;
}

/** What a takeover after reboot needs of production on this node. */
export interface TakeoverDeps {
  /** The settings in force now (a reload may change them). */
  readonly options: () => Pick<ProductionOptions, "producerName" | "claimWindow" | "pauseTimeout" | "takeover" | "peers" | "peerToken">;
  readonly coordinator: Coordinator;
  /** Our operator API, once listening: where the producer hands production to. */
  readonly api: () => string | null;
  readonly watch: Pick<BlockWatch, "waitUntil">;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  /** Aborts once production closes. */
  readonly closing: AbortSignal;
  /** Why a resume would be refused as not ready now, or undefined when it would not. */
  readyToResume(): string | undefined;
  /** Whether nodeos production is paused, asked now. */
  isPaused(): Promise<boolean>;
}

/**
 * Takeover after reboot: once synced and watching for a claim window, asks the node that produces now to hand
 * production over to us (it pauses at the end of its round, then asks us to resume safely). Never when another node
 * claimed production within the claim window, nor when nobody produces (a person decides then). Tried once per
 * start of manageos.
 */
export class Takeover {
  readonly #deps: TakeoverDeps;
  #status: TakeoverStatus | undefined;
  #tried = false;

  constructor(deps: TakeoverDeps) {
    this.#deps = deps;
  }

  /** Where the takeover stands, for the status API. */
  status(): TakeoverStatus | undefined {
    return this.#status;
  }

  /** Starts the takeover if it is enabled and was not tried since manageos started; true when started. */
  once(): boolean {
    if (this.#deps.options().takeover !== true || this.#tried) return false;
    this.#tried = true;
    void this.#run().catch((error: unknown) => {
      this.#deps.logger.warn({ err: error }, "takeover failed");
      this.#status = { state: "failed", reason: (error as Error).message, at: this.#deps.clock.now() };
    });
    return true;
  }

  #report(status: TakeoverStatus): void {
    this.#status = status;
  }

  async #run(): Promise<void> {
    const deps = this.#deps;
    const { coordinator, clock, logger } = deps;
    const options = deps.options();
    const signal = deps.closing;
    const api = deps.api();
    this.#report({ state: "waiting-sync", at: clock.now() });
    const ready = () => deps.readyToResume() === undefined;
    // Synced: 5 blocks at about the interval, and watched for a claim window (a resume needs both).
    while (!(await deps.watch.waitUntil(ready, clock.now() + 60_000, signal))) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    const skip = (reason: string, from?: string) => {
      logger.info({ reason, from }, "takeover not attempted");
      this.#report({ state: "skipped", reason, ...(from === undefined ? {} : { from }), at: clock.now() });
    };
    if ((await deps.isPaused().catch(() => true)) === false) return skip("this node already produces");
    const claim = await coordinator.lastClaim(options.producerName).catch(() => undefined);
    if (
      claim !== undefined &&
      claim.node !== coordinator.nodeId &&
      claim.released === undefined &&
      clock.now() - claim.at < options.claimWindow
    ) {
      return skip(`${claim.node} claimed production ${clock.now() - claim.at} ms ago, within the claim window`);
    }
    const apis = await peerApis(coordinator, options.peers ?? [], api);
    const holder = coordinator.kind === "local" ? undefined : await coordinator.holder(options.producerName).catch(() => undefined);
    const views = await viewPeers(apis, options.peerToken, coordinator.nodeId);
    const current = views.find((v) => signs(v) && (holder === undefined || v.node === holder));
    if (current === undefined) return skip(holder === undefined ? "no peer produces" : `the lease holder ${holder} did not answer`);
    if (api === null) return skip("our API address is unknown");
    this.#report({ state: "asking", from: current.api, at: clock.now() });
    logger.info({ from: current.api, node: current.node }, "takeover: asking the producer to hand production over");
    const to = encodeURIComponent(api);
    try {
      const answer = (await new PeerClient(current.api, options.peerToken, 10_000).call(
        "POST",
        `/v1/nodeos/handoff?sync=true&to=${to}`,
        options.pauseTimeout + 60_000,
      )) as { result?: Record<string, unknown> } | undefined;
      const result = answer?.result ?? {};
      logger.info({ from: current.api, result }, "takeover: production moved here");
      this.#report({ state: "took-over", from: current.api, at: clock.now(), report: result });
    } catch (error) {
      const reason = isManageosError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
      logger.warn({ from: current.api, reason }, "takeover failed");
      this.#report({ state: "failed", from: current.api, reason, at: clock.now() });
    }
  }
}
