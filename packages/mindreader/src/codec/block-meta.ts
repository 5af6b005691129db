/** What the mindreader reads off every block: enough to name, link and stream it. */
export interface BlockMeta {
  readonly num: number;
  /** 64 hex chars; its first 4 bytes are `num`, big-endian. */
  readonly id: string;
  readonly previous: string;
  /** Block time, ISO 8601 UTC with milliseconds and `Z`. */
  readonly timestamp: string;
  readonly producer: string;
  /** Last irreversible block number as of this block. */
  readonly lib: number;
}
