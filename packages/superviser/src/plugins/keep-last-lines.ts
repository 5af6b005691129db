import type { LogLine, LogPlugin } from "@manageos/core";

/** Options of the last-lines ring. */
export interface KeepLastLinesOptions {
  /** How many lines to keep. */
  size: number;
  /** Longer lines are kept cut to this many characters (deep-mind lines can be MiBs). */
  maxChars?: number;
  /** Keep DMLOG lines too (off: they are data, not diagnostics). */
  includeDeepMind?: boolean;
}

/** Keeps the last N lines the child printed, for error reports. */
export class KeepLastLinesPlugin implements LogPlugin {
  readonly name = "keep-last-lines";
  private readonly ring: (string | undefined)[];
  private next = 0;
  private count = 0;
  private readonly maxChars: number;
  private readonly includeDeepMind: boolean;

  constructor(opts: KeepLastLinesOptions) {
    this.ring = new Array<string | undefined>(opts.size);
    this.maxChars = opts.maxChars ?? 4096;
    this.includeDeepMind = opts.includeDeepMind ?? false;
  }

  /** Remembers a line, overwriting the oldest when full. */
  handle(line: LogLine): void {
    const size = this.ring.length;
    if (size === 0) return;
    const text = line.text;
    // 'D' first: a cheap test before startsWith on every line.
    if (!this.includeDeepMind && text.charCodeAt(0) === 68 && text.startsWith("DMLOG ")) return;
    // A slice of a huge string keeps the huge string alive; copy short ones out.
    this.ring[this.next] = text.length > this.maxChars ? `${copyOf(text.slice(0, this.maxChars))}…` : text;
    this.next = (this.next + 1) % size;
    if (this.count < size) this.count++;
  }

  /** The kept lines, oldest first. */
  lines(): string[] {
    const size = this.ring.length;
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) {
      out.push(this.ring[(this.next - this.count + i + size) % size] as string);
    }
    return out;
  }
}

// Forces a flat copy so the slice does not pin its parent string.
function copyOf(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}
