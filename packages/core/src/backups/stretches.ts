import { isAllZero } from "./chunk-io.js";

/** A stretch of a chunk that holds data: [start, end) from the chunk's start. */
export type Stretch = [start: number, end: number];

/** Zeros are looked for page by page. */
export const PAGE = 4096;

/**
 * Zero gaps inside a chunk shorter than this are kept as data: the stretch list of a chunk with a few zero pages stays
 * short, and a restore's writes stay large. A page alone in a hole still costs one page.
 */
export const MIN_GAP = 64 * 1024;

/** The stretches of `bytes` that hold data, at page grain, gaps under MIN_GAP merged; [] when every byte is zero. */
export function dataStretches(bytes: Uint8Array): Stretch[] {
  const out: Stretch[] = [];
  for (let at = 0; at < bytes.length; at += PAGE) {
    const end = Math.min(at + PAGE, bytes.length);
    // A page whose first or last byte is set holds data: most pages of most chunks, told without a call.
    if (bytes[at] === 0 && bytes[end - 1] === 0 && isAllZero(bytes.subarray(at, end))) continue;
    const last = out.at(-1);
    if (last !== undefined && at - last[1] < MIN_GAP) last[1] = end;
    else out.push([at, end]);
  }
  return out;
}

/** True when the stretches are the whole of a chunk of `length` bytes (it is stored as it is). */
export function isWhole(stretches: readonly Stretch[], length: number): boolean {
  return stretches.length === 1 && stretches[0]?.[0] === 0 && stretches[0][1] === length;
}

/** Bytes the stretches hold. */
export function stretchBytes(stretches: readonly Stretch[]): number {
  return stretches.reduce((sum, [start, end]) => sum + end - start, 0);
}

/** Moves the stretches to the front of `bytes`, back to back and in order (what is stored); returns their length. */
export function compactStretches(bytes: Buffer, stretches: readonly Stretch[]): number {
  let at = 0;
  for (const [start, end] of stretches) {
    if (start !== at) bytes.copyWithin(at, start, end);
    at += end - start;
  }
  return at;
}
