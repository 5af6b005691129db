import { randomUUID } from "node:crypto";

/** A node's announced intent to resume production, as its peers receive it. */
export interface ResumeIntent {
  readonly node: string;
  readonly id: string;
  /** How long the intent may be held by a peer that grants it, ms. */
  readonly ttlMs: number;
}

/** A peer's answer to an intent. */
export type IntentAnswer = { readonly granted: true } | { readonly granted: false; readonly reason: string };

/** Our own intent while we ask the peers. */
export interface OwnIntent {
  readonly intent: ResumeIntent;
  /** When we announced it (our clock): the grants we receive count from here, never from later. */
  readonly sentAt: number;
  /** Set when a peer's intent won against ours: we must not resume on this one. */
  lostTo: string | undefined;
}

/**
 * The handshake that keeps two resumes at the same moment from both winning, without etcd: a node about to resume
 * announces an intent to every peer and resumes only once each granted it. A node never grants while it produces,
 * and, while its own intent is out, grants only a node that wins the tie-break (the smaller node id), giving its own
 * up. Any two nodes resuming at once ask each other and apply the same tie-break, so at most one of them gets the
 * other's grant; the smallest of several always wins. A node that granted an intent does not start one of its own
 * until that grant expires or is released.
 */
export class IntentBook {
  readonly #node: string;
  readonly #now: () => number;
  readonly #producing: () => boolean;
  #own: OwnIntent | undefined;
  readonly #granted = new Map<string, { readonly node: string; readonly until: number }>();

  constructor(opts: { node: string }, deps: { now: () => number; producing: () => boolean }) {
    this.#node = opts.node;
    this.#now = deps.now;
    this.#producing = deps.producing;
  }

  /** A peer's intent: granted or refused, with the reason. */
  consider(intent: ResumeIntent): IntentAnswer {
    const now = this.#now();
    if (intent.node === this.#node) return { granted: false, reason: `${intent.node} is this node's own id` };
    if (this.#producing()) return { granted: false, reason: `${this.#node} produces` };
    const own = this.#own;
    if (own !== undefined && own.lostTo === undefined) {
      if (!(intent.node < this.#node)) return { granted: false, reason: `${this.#node} is resuming itself and wins the tie-break` };
      own.lostTo = intent.node;
    }
    this.#expire(now);
    this.#granted.set(intent.id, { node: intent.node, until: now + intent.ttlMs });
    return { granted: true };
  }

  /** A peer gave its intent up (it resumed, or failed): its grant ends now. */
  release(id: string): void {
    this.#granted.delete(id);
  }

  /** Starts our own intent; a reason instead when we granted another node's that still holds. */
  begin(ttlMs: number): OwnIntent | string {
    const now = this.#now();
    this.#expire(now);
    const held = [...this.#granted.values()][0];
    if (held !== undefined)
      return `${held.node} is resuming (this node granted its intent, ${held.until - now} ms before the grant expires)`;
    if (this.#own !== undefined && this.#own.lostTo === undefined) return "another resume of this node is deciding";
    const own: OwnIntent = { intent: { node: this.#node, id: randomUUID(), ttlMs }, sentAt: now, lostTo: undefined };
    this.#own = own;
    return own;
  }

  /** Whether our intent may still become a resume now: not lost to another node, and every grant still holds. */
  stillValid(own: OwnIntent, marginMs: number): string | undefined {
    if (this.#own !== own) return "the intent was replaced";
    if (own.lostTo !== undefined) return `${own.lostTo} is resuming at the same moment and wins the tie-break`;
    const age = this.#now() - own.sentAt;
    if (age > own.intent.ttlMs - marginMs) return `the peers' grants expired (${age} ms since they were asked)`;
    return undefined;
  }

  /** Our intent is over (resumed or not). */
  end(own: OwnIntent): void {
    if (this.#own === own) this.#own = undefined;
  }

  /** For the status API: the nodes whose intents this node granted, while the grants hold. */
  grantedTo(): string[] {
    this.#expire(this.#now());
    return [...this.#granted.values()].map((g) => g.node);
  }

  #expire(now: number): void {
    for (const [id, grant] of this.#granted) if (grant.until <= now) this.#granted.delete(id);
  }
}
