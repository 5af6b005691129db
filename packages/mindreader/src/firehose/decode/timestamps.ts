import type { Timestamp } from "./proto-types.js";

// Block timestamps count half-second slots from 2000-01-01T00:00:00Z.
const BLOCK_EPOCH_MS = 946_684_800_000;
const SLOT_MS = 500;

/** A Timestamp from epoch milliseconds. */
export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Epoch milliseconds of a packed `block_timestamp_type` slot. */
export function slotToMs(slot: number): number {
  return BLOCK_EPOCH_MS + slot * SLOT_MS;
}

/** A Timestamp from a packed `block_timestamp_type` slot. */
export function timestampFromSlot(slot: number): Timestamp {
  return timestampFromMs(slotToMs(slot));
}

/** A Timestamp from a packed `time_point_sec` (seconds since the epoch). */
export function timestampFromSeconds(seconds: number): Timestamp {
  return { seconds, nanos: 0 };
}

/** A Timestamp from nodeos' `YYYY-MM-DDTHH:MM:SS[.sss]` (UTC, no zone); undefined when it is not a time. */
export function timestampFromChainTime(text: string): Timestamp | undefined {
  const ms = Date.parse(/[zZ]$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : timestampFromMs(ms);
}
