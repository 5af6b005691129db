import type { BlockTimestamp } from "@wharfkit/antelope";

/** A block timestamp as ISO 8601 UTC with `Z`. */
export function blockTimeIso(timestamp: BlockTimestamp): string {
  return new Date(timestamp.toMilliseconds()).toISOString();
}

/** Parses nodeos' `YYYY-MM-DDTHH:MM:SS.sss` (UTC, no zone) or a full ISO time into epoch milliseconds. */
export function parseChainTime(text: string): number {
  const withZone = /[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`;
  return Date.parse(withZone);
}
