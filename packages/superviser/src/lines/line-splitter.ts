import { isAscii } from "node:buffer";

/**
 * Receives each complete line; `truncated` when it was cut at the maximum length; `read`, the text of the chunk that
 * holds the whole line, when that chunk is ASCII (undefined for a line joined from several chunks, or cut from UTF-8).
 */
export type LineSink = (text: string, truncated: boolean, read: string | undefined) => void;

const NEWLINE = 10;
const CR = 13;
const DMLOG = Buffer.from("DMLOG ");

/** Longest lines, in bytes: deep-mind lines (`DMLOG `, which readers need whole) and the others (log lines). */
export interface LineLimits {
  deepMind: number;
  other: number;
}

/**
 * Splits a byte stream into lines on Buffers: a line inside one chunk costs one string and
 * nothing else; a line spanning chunks is joined once. A line longer than its limit (a number:
 * every line's; LineLimits: by whether it starts with `DMLOG `) is handed over cut at that length
 * as soon as the limit is reached, and the rest of it is skipped up to its newline, so memory
 * stays bounded by the limit. A chunk of ASCII (nodeos' log and deep-mind output) is decoded once and its lines are
 * slices of that string: a native call per line costs more than the line's own work.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private skipping = false;
  private readonly limits: LineLimits;
  // The limit of the line being held.
  private limit: number;

  constructor(
    limits: number | LineLimits,
    private readonly sink: LineSink,
  ) {
    this.limits = typeof limits === "number" ? { deepMind: limits, other: limits } : limits;
    this.limit = this.limits.other;
  }

  /** Feeds one chunk read from the pipe. */
  push(chunk: Buffer): void {
    const length = chunk.length;
    // Bytes and characters coincide in ASCII, so offsets found in the chunk index its text too.
    const text = length > 0 && isAscii(chunk) ? chunk.toString("latin1") : undefined;
    let start = 0;
    while (start < length) {
      const nl = text === undefined ? chunk.indexOf(NEWLINE, start) : text.indexOf("\n", start);
      if (nl === -1) {
        this.keep(chunk, start, length);
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pendingLength === 0) {
        this.emitRange(chunk, text, start, nl);
      } else {
        this.keep(chunk, start, nl);
        if (this.skipping) this.skipping = false;
        else this.emitPending();
      }
      start = nl + 1;
    }
  }

  /** Hands over a last line that had no newline (the stream ended). */
  end(): void {
    if (!this.skipping && this.pendingLength > 0) this.emitPending();
    this.pending = [];
    this.pendingLength = 0;
    this.skipping = false;
  }

  // A whole line inside one chunk: a slice of the chunk's text, or decoded straight from the chunk.
  private emitRange(chunk: Buffer, text: string | undefined, start: number, end: number): void {
    let stop = end;
    if (stop > start && chunk[stop - 1] === CR) stop--;
    const limit = this.limitOf(chunk, start, stop);
    const truncated = stop - start > limit;
    if (truncated) stop = start + limit;
    this.sink(text === undefined ? chunk.toString("utf8", start, stop) : text.slice(start, stop), truncated, text);
  }

  // Holds part of an unfinished line, cutting it (and skipping the rest) once it passes the limit.
  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.skipping || end <= start) return;
    if (this.pendingLength === 0) this.limit = this.limitOf(chunk, start, end);
    const room = this.limit - this.pendingLength;
    if (end - start > room) {
      this.pending.push(chunk.subarray(start, start + room));
      const text = Buffer.concat(this.pending, this.limit).toString("utf8");
      this.pending = [];
      this.pendingLength = 0;
      this.skipping = true;
      this.sink(text, true, undefined);
      return;
    }
    this.pending.push(chunk.subarray(start, end));
    this.pendingLength += end - start;
  }

  // The limit of a line from its first bytes: a start that is (or may become) `DMLOG ` gets the deep-mind one.
  private limitOf(chunk: Buffer, start: number, end: number): number {
    const { deepMind, other } = this.limits;
    if (deepMind === other) return other;
    const n = Math.min(DMLOG.length, end - start);
    // Byte by byte: a Buffer.compare per line costs more than the rest of the split.
    for (let i = 0; i < n; i++) if (chunk[start + i] !== DMLOG[i]) return other;
    return deepMind;
  }

  // Joins the held parts of a line and hands it over.
  private emitPending(): void {
    const joined = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending, this.pendingLength);
    this.pending = [];
    this.pendingLength = 0;
    let stop = joined.length;
    if (stop > 0 && joined[stop - 1] === CR) stop--;
    this.sink(joined.toString("utf8", 0, stop), false, undefined);
  }
}
