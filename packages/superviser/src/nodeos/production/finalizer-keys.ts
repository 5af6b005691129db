import { readFile } from "node:fs/promises";
import { type Chain, type Coordinator, isManageosError, type Producer } from "@manageos/core";
import type { Logger } from "pino";
import type { ProductionClock } from "./clock.js";
import { ProductionErrors } from "./errors.js";
import { FinalityClient } from "./finality.js";
import type { ProductionMetrics } from "./metrics.js";
import { publicKeysIn, viewPeers } from "./peers.js";
import type { ProductionOptions } from "./production-options.js";

/** A finalizer key of ours that another node of ours holds too. */
export interface FinalizerKeyConflict {
  readonly key: string;
  readonly node: string | null;
  readonly api: string | null;
}

/** What the finalizer keys part needs. */
export interface FinalizerKeysDeps {
  /** The settings in force now (a reload may change the peers). */
  readonly options: () => Pick<ProductionOptions, "producerName" | "finality" | "peers" | "peerToken">;
  readonly chain: Chain & Producer;
  readonly coordinator: Coordinator;
  /** Our operator API, once listening: never asked as a peer. */
  readonly api: () => string | null;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  readonly metrics?: ProductionMetrics;
  /** nodeos' own API (the chain API), for the finalizer tables and actfinkey. */
  readonly nodeUrl?: () => string;
}

/**
 * Spring: this node's finalizer keys (less those another node of ours holds, refused at start), which of them the
 * chain has active for our producer, the votes nodeos says it missed, and the activation of our key when production
 * moves here.
 */
export class FinalizerKeys {
  readonly #deps: FinalizerKeysDeps;
  #keys: string[] = [];
  #conflicts: FinalizerKeyConflict[] = [];
  #finality: FinalityClient | undefined;
  #missedVotes = 0;
  #lastMissedVote: { block: number; at: number } | undefined;
  #active: string | null | undefined;

  constructor(deps: FinalizerKeysDeps) {
    this.#deps = deps;
  }

  /** Before nodeos first starts: a finalizer key another node of ours already holds is left out of config.ini. */
  async load(): Promise<void> {
    const { chain, logger } = this.#deps;
    if (chain.finalizerPublicKeys === undefined) return;
    try {
      this.#keys = await chain.finalizerPublicKeys();
    } catch (error) {
      // The launch refuses the same file with its coded error.
      logger.debug({ err: error }, "finalizer keys not readable yet");
      return;
    }
    const { producerName, finality } = this.#deps.options();
    const nodeUrl = this.#deps.nodeUrl;
    if (finality !== undefined && nodeUrl !== undefined && this.#keys.length > 0) {
      let privateKey: string | undefined;
      try {
        privateKey = finality.keyFile === undefined ? undefined : (await readFile(finality.keyFile, "utf8")).trim();
      } catch (error) {
        // Never the file's content: only why it could not be read.
        logger.error(
          { file: finality.keyFile, code: (error as NodeJS.ErrnoException).code },
          "cannot read bp.finalityKeyFile: finalizer keys will not be activated on chain",
        );
      }
      this.#finality = new FinalityClient({ producerName, permission: finality.permission, privateKey, timeoutMs: 30_000 }, { nodeUrl });
    }
    const conflicts = await this.check();
    if (conflicts.length === 0) return;
    const refused = [...new Set(conflicts.map((c) => c.key))];
    chain.refuseFinalizerKeys?.(refused);
    this.#keys = this.#keys.filter((k) => !refused.includes(k));
    logger.error(
      { refused },
      "finalizer keys refused: another node of ours holds them (each finalizer key belongs to one nodeos); activate a key of this node's own",
    );
  }

  /** Our finalizer keys that another node of ours publishes (etcd) or answers (bp.peers) too; said at error when new. */
  async check(): Promise<FinalizerKeyConflict[]> {
    const mine = new Set(this.#keys);
    if (mine.size === 0) return [];
    const { coordinator, logger } = this.#deps;
    const options = this.#deps.options();
    const held: { keys: readonly string[]; node: string | null; api: string | null }[] = [];
    if (coordinator.kind !== "local") {
      for (const peer of await coordinator.peers().catch(() => [])) {
        if (peer.node !== coordinator.nodeId) held.push({ keys: publicKeysIn(peer.finalizerKeys), node: peer.node, api: peer.api });
      }
    }
    const ownApi = this.#deps.api();
    const configured = (options.peers ?? []).filter((a) => a !== ownApi);
    for (const view of await viewPeers(configured, options.peerToken, coordinator.nodeId))
      held.push({ keys: view.finalizerKeys, node: view.node, api: view.api });
    const conflicts = held.flatMap((h) => h.keys.filter((k) => mine.has(k)).map((key) => ({ key, node: h.node, api: h.api })));
    const known = new Set(this.#conflicts.map((c) => `${c.key}@${c.node ?? c.api}`));
    const fresh = conflicts.filter((c) => !known.has(`${c.key}@${c.node ?? c.api}`));
    if (fresh.length > 0)
      logger.error({ conflicts: fresh }, "another node of ours holds a finalizer key of this node: both would vote with it");
    this.#conflicts = conflicts;
    this.#deps.metrics?.finalizerKeyConflicts.set(new Set(conflicts.map((c) => c.key)).size);
    return conflicts;
  }

  /** Reads which finalizer key of ours the chain has active, for the status and its gauge. */
  async refreshActive(): Promise<void> {
    if (this.#finality === undefined) return;
    this.#active = (await this.#finality.activeKey().catch(() => undefined)) ?? null;
    this.#deps.metrics?.finalizerKeyActive.set(this.#active !== null && this.#active === this.#keys[0] ? 1 : 0);
  }

  /** After production resumed here: this node's own finalizer key becomes the producer's active one; a failure is reported, never thrown. */
  async activate(signal: AbortSignal): Promise<Record<string, unknown> | null> {
    const { clock, logger } = this.#deps;
    const mine = this.#keys[0];
    const finality = this.#finality;
    if (mine === undefined || finality === undefined) return null;
    let before: string | undefined;
    try {
      before = await finality.activeKey();
      if (before !== mine) {
        if (!finality.canActivate) throw ProductionErrors.finality("no bp.finalityKeyFile: activate it by hand (eosio::actfinkey)");
        await finality.activate(mine, signal, (ms) => clock.sleep(ms, signal));
        logger.info({ before: before ?? null, after: mine }, "this node's finalizer key is the active one now");
      }
      this.#active = mine;
      this.#deps.metrics?.finalizerKeyActive.set(1);
      return { key: mine, before: before ?? null, after: mine, activated: before !== mine };
    } catch (error) {
      const code = isManageosError(error) ? error.code : ProductionErrors.finality.code;
      logger.error({ err: error, key: mine }, "production resumed here, but this node's finalizer key is not the active one");
      return {
        key: mine,
        before: before ?? null,
        after: before ?? null,
        activated: false,
        error: { code, message: (error as Error).message },
      };
    }
  }

  /** nodeos says a vote of our finalizer is missing from a block's QC. */
  readonly onVoteMissed = (missed: { finalizer: string; block: number }): void => {
    this.#missedVotes++;
    this.#lastMissedVote = { block: missed.block, at: this.#deps.clock.now() };
    this.#deps.metrics?.missedVotes.inc();
  };

  /** The finalizer part of the production status. */
  status(): Record<string, unknown> {
    const key = this.#keys[0];
    return {
      finalizerKeys: this.#keys,
      finalizer:
        key === undefined
          ? null
          : {
              key,
              activeOnChain: this.#active === undefined ? null : this.#active === key,
              missedVotes: this.#missedVotes,
              lastMissedVote: this.#lastMissedVote ?? null,
            },
      finalizerKeyConflicts: this.#conflicts,
    };
  }
}
