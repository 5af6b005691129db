import { type Coordinator, isManageosError } from "@manageos/core";
import type { Logger } from "pino";
import type { ProductionClock } from "./clock.js";
import { ProductionErrors } from "./errors.js";
import { PeerClient } from "./peer-client.js";
import { peerApis } from "./peers.js";
import type { ProductionOptions, ResumeOptions, StepContext } from "./production-options.js";
import { type IntentAnswer, IntentBook, type OwnIntent, type ResumeIntent } from "./resume-intent.js";

// How long a peer may take to answer, how long its grant holds, and the margin kept before it expires when we
// finally resume.
const INTENT_ASK_MS = 1_500;
const INTENT_TTL_MS = 5_000;
const INTENT_MARGIN_MS = 1_000;

/** Our intent while it is out: what we announced, and the peers that granted it. */
export interface AnnouncedIntent {
  readonly own: OwnIntent;
  readonly granted: string[];
}

/** What the handshake needs. */
export interface ResumeHandshakeDeps {
  /** The settings in force now (a reload may change the peers). */
  readonly options: () => Pick<ProductionOptions, "peers" | "peerToken">;
  readonly coordinator: Coordinator;
  /** Our operator API, once listening: never asked as a peer. */
  readonly api: () => string | null;
  readonly clock: ProductionClock;
  readonly logger: Logger;
  /** Whether this node signs now (it then grants no intent). */
  producing(): boolean;
  /** Counts a refused resume. */
  countResumeRefusal(): void;
}

/**
 * The resume handshake between the manageos of one producer name without etcd (see IntentBook): our intents to the
 * peers, their answers, and the peers' intents we grant or refuse.
 */
export class ResumeHandshake {
  readonly #deps: ResumeHandshakeDeps;
  readonly #intents: IntentBook;

  constructor(deps: ResumeHandshakeDeps) {
    this.#deps = deps;
    this.#intents = new IntentBook({ node: deps.coordinator.nodeId }, { now: () => deps.clock.now(), producing: () => deps.producing() });
  }

  /** Peers that did not answer block a resume without etcd, unless a person said to skip them (recorded in the job log). */
  requireAnswers(unreachable: readonly string[], options: ResumeOptions): void {
    if (unreachable.length === 0) return;
    if (options.skipUnreachablePeers === true) {
      const message = `resuming although these peers did not answer (skip-unreachable-peers): ${unreachable.join(", ")}`;
      this.#deps.logger.warn({ peers: unreachable }, message);
      options.log?.(message, "warn");
      return;
    }
    this.#deps.countResumeRefusal();
    throw ProductionErrors.peerUnreachable(unreachable.join(", "), { details: { reason: "peer-unreachable", peers: [...unreachable] } });
  }

  /** Announces our intent to every peer; resolves once each granted it (or was skipped by the override). */
  async announce(ctx: StepContext, options: ResumeOptions): Promise<AnnouncedIntent | undefined> {
    const { peers, peerToken } = this.#deps.options();
    const apis = await peerApis(this.#deps.coordinator, peers ?? [], this.#deps.api());
    if (apis.length === 0) return undefined;
    const own = this.#intents.begin(INTENT_TTL_MS);
    if (typeof own === "string") {
      this.#deps.countResumeRefusal();
      throw ProductionErrors.unsafeResume(own, { details: { reason: "peer-resuming" } });
    }
    ctx.progress({ message: `announcing the resume to ${apis.length} peer(s)` });
    const { node, id, ttlMs } = own.intent;
    const query = `?node=${encodeURIComponent(node)}&id=${id}&ttl_ms=${ttlMs}`;
    const answers = await Promise.all(
      apis.map(async (api) => {
        try {
          await new PeerClient(api, peerToken, INTENT_ASK_MS).call("POST", `/v1/manageos/production/intent${query}`);
          return { api, granted: true as const };
        } catch (error) {
          const refused = isManageosError(error) && error.code !== "PRD_ERR_PEER";
          return { api, granted: false as const, refused, reason: (error as Error).message };
        }
      }),
    );
    const granted = answers.filter((a) => a.granted).map((a) => a.api);
    const result = { own, granted };
    const refusal = answers.find((a) => !a.granted && a.refused);
    try {
      if (refusal !== undefined && !refusal.granted) {
        this.#deps.countResumeRefusal();
        throw ProductionErrors.unsafeResume(`${refusal.api} refuses: ${refusal.reason}`, {
          details: { reason: "peer-refused", peer: refusal.api },
        });
      }
      this.requireAnswers(
        answers.filter((a) => !a.granted).map((a) => a.api),
        options,
      );
    } catch (error) {
      this.end(result);
      throw error;
    }
    return result;
  }

  /** Why our intent no longer holds (a peer's won, or its grants expire too soon), or undefined while it does. */
  lost(intent: AnnouncedIntent): string | undefined {
    return this.#intents.stillValid(intent.own, INTENT_MARGIN_MS);
  }

  /** Our intent is over: peers that granted it are told (best effort; their grants expire anyway). */
  end(intent: AnnouncedIntent): void {
    this.#intents.end(intent.own);
    const { peerToken } = this.#deps.options();
    for (const api of intent.granted) {
      void new PeerClient(api, peerToken, INTENT_ASK_MS)
        .call("POST", `/v1/manageos/production/intent/release?id=${intent.own.intent.id}`)
        .catch(() => undefined);
    }
  }

  /** A peer announces that it is about to resume: granted unless we produce, granted another, or win the tie-break. */
  consider(intent: ResumeIntent): IntentAnswer {
    const answer = this.#intents.consider(intent);
    this.#deps.logger.info({ from: intent.node, id: intent.id, ...answer }, "a peer's intent to resume production");
    return answer;
  }

  /** A peer's intent is over: the grant we gave it ends. */
  release(id: string): void {
    this.#intents.release(id);
  }

  /** The peers whose intents we granted and that still hold. */
  grantedTo(): string[] {
    return this.#intents.grantedTo();
  }
}
