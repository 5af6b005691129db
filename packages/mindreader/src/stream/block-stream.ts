import type { BlockMeta } from "../codec/block-meta.js";

/** What the live stream sends per block. */
export interface BlockHeaderEvent {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly time: string;
  readonly producer: string;
  readonly lib: number;
}

/** Where a replay starts: the events at or after `from`, or the oldest number still in memory when `from` is older. */
export type Replay = { readonly events: BlockHeaderEvent[] } | { readonly tooOld: number };

/** Block headers in a bounded ring for replay, plus live subscribers. */
export class BlockStream {
  private readonly ring: BlockHeaderEvent[] = [];
  private readonly listeners = new Set<(event: BlockHeaderEvent) => void>();

  constructor(private readonly capacity = 10_000) {}

  /** Adds a block: kept in the ring, sent to every subscriber. */
  publish(meta: BlockMeta): void {
    const event: BlockHeaderEvent = {
      num: meta.num,
      id: meta.id,
      previous: meta.previous,
      time: meta.timestamp,
      producer: meta.producer,
      lib: meta.lib,
    };
    this.ring.push(event);
    if (this.ring.length > this.capacity) this.ring.shift();
    for (const listener of this.listeners) listener(event);
  }

  /** Events from block `from` on, in the order they were read (forked blocks included). */
  replayFrom(from: number): Replay {
    const oldest = this.ring[0];
    if (oldest !== undefined && from < oldest.num && this.ring.length >= this.capacity) return { tooOld: oldest.num };
    return { events: this.ring.filter((event) => event.num >= from) };
  }

  /** Calls `listener` for every block published from now on; returns the unsubscribe function. */
  subscribe(listener: (event: BlockHeaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live subscribers. */
  get subscribers(): number {
    return this.listeners.size;
  }
}
