import type { AcquireResult, Coordinator, PeerStatus, ProducerClaim, PublishedStatus } from "./coordinator.js";

/** The single-node coordinator: this node is the whole cluster; claims live in memory. */
export class LocalCoordinator implements Coordinator {
  readonly kind = "local" as const;
  readonly nodeId: string;
  readonly #now: () => number;
  readonly #held = new Set<string>();
  readonly #claims = new Map<string, ProducerClaim>();
  #status: PeerStatus | undefined;

  constructor(opts: { nodeId: string }, deps: { now?: () => number } = {}) {
    this.nodeId = opts.nodeId;
    this.#now = deps.now ?? Date.now;
  }

  async start(): Promise<void> {}

  async publish(status: PublishedStatus): Promise<void> {
    this.#status = { ...status, node: this.nodeId, at: this.#now() };
  }

  async peers(): Promise<PeerStatus[]> {
    return this.#status === undefined ? [] : [this.#status];
  }

  async acquire(producer: string): Promise<AcquireResult> {
    this.#held.add(producer);
    return { acquired: true };
  }

  holds(producer: string): boolean {
    return this.#held.has(producer);
  }

  async holder(producer: string): Promise<string | undefined> {
    return this.#held.has(producer) ? this.nodeId : undefined;
  }

  async claim(producer: string): Promise<void> {
    this.#claims.set(producer, { node: this.nodeId, at: this.#now() });
  }

  async release(producer: string, info?: { lastProduced: number | null }): Promise<void> {
    this.#held.delete(producer);
    if (info === undefined) return;
    const lastProduced = info.lastProduced;
    const claim = this.#claims.get(producer) ?? { node: this.nodeId, at: this.#now() };
    this.#claims.set(producer, { ...claim, released: { at: this.#now(), lastProduced } });
  }

  async lastClaim(producer: string): Promise<ProducerClaim | undefined> {
    return this.#claims.get(producer);
  }

  onLeaseLost(): void {
    // A local lease cannot be lost.
  }

  onLeaseRegained(): void {
    // Nor regained.
  }

  async close(): Promise<void> {}
}
