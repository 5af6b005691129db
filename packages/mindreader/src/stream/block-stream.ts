import type { BlockMeta } from "../codec/block-meta.js";
import { bstreamBlockToJson } from "../firehose/decode/index.js";

/** What the live stream sends per block in the dmlog format. */
export interface BlockHeaderEvent {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly time: string;
  readonly producer: string;
  readonly lib: number;
}

/** One block of the stream: its number (the event id) and its event data, made when first sent. */
export interface StreamedBlock {
  readonly num: number;
  /** The event's data: a BlockHeaderEvent, or (Firehose format) the protobuf JSON mapping of the sf.bstream.v1.Block. */
  data(): unknown;
}

/** Where a replay starts: the blocks at or after `from`, or the oldest number still in memory when `from` is older. */
export type Replay = { readonly events: StreamedBlock[] } | { readonly tooOld: number };

interface Entry extends StreamedBlock {
  readonly size: number;
}

// A Firehose block's entry: its bytes kept, its JSON made once, when a client first gets it.
function firehoseEntry(num: number, bstream: Uint8Array): Entry {
  let json: unknown;
  return {
    num,
    size: bstream.length,
    data: () => {
      json ??= bstreamBlockToJson(bstream);
      return json;
    },
  };
}

/**
 * Blocks in a bounded ring for replay (at most `capacity` blocks and `maxBytes` of Firehose blocks), plus live
 * subscribers. Nothing is converted to JSON until a client is sent it.
 */
export class BlockStream {
  private readonly ring: Entry[] = [];
  private readonly listeners = new Set<(block: StreamedBlock) => void>();
  private bytes = 0;
  private trimmed = false;

  constructor(
    private readonly capacity = 10_000,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  /** Adds a block's header (dmlog format): kept in the ring, sent to every subscriber. */
  publish(meta: BlockMeta): void {
    const event: BlockHeaderEvent = {
      num: meta.num,
      id: meta.id,
      previous: meta.previous,
      time: meta.timestamp,
      producer: meta.producer,
      lib: meta.lib,
    };
    this.add({ num: meta.num, size: 0, data: () => event });
  }

  /** Adds a block decoded to Firehose: its encoded sf.bstream.v1.Block, sent as its protobuf JSON mapping. */
  publishDecoded(meta: BlockMeta, bstream: Uint8Array): void {
    this.add(firehoseEntry(meta.num, bstream));
  }

  /** Blocks from block `from` on, in the order they were read (forked blocks included). */
  replayFrom(from: number): Replay {
    const oldest = this.ring[0];
    if (oldest !== undefined && from < oldest.num && this.trimmed) return { tooOld: oldest.num };
    return { events: this.ring.filter((entry) => entry.num >= from) };
  }

  /** Calls `listener` for every block published from now on; returns the unsubscribe function. */
  subscribe(listener: (block: StreamedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live subscribers. */
  get subscribers(): number {
    return this.listeners.size;
  }

  private add(entry: Entry): void {
    this.ring.push(entry);
    this.bytes += entry.size;
    while (this.ring.length > this.capacity || (this.bytes > this.maxBytes && this.ring.length > 1)) {
      this.bytes -= this.ring.shift()!.size;
      this.trimmed = true;
    }
    for (const listener of this.listeners) listener(entry);
  }
}
