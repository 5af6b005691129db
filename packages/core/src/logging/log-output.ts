import { EventEmitter } from "node:events";
import type { Writable } from "node:stream";
import { ByteRing } from "./byte-ring.js";

/** Limits of the log output. */
export interface LogOutputOptions {
  /** Where the lines go; process.stdout by default (a pipe there is written without blocking). */
  stream?: Writable;
  /** Characters waiting past which the output is behind: readers of the node's output drop lines rather than add more. */
  highWater?: number;
  /** Characters waiting past which even manageos' own lines are dropped (and counted): the output never grows past it. */
  maxWaiting?: number;
}

/** Lines are gathered and handed to the stream in chunks of about this many characters. */
const CHUNK = 64 * 1024;
export const LOG_OUTPUT_HIGH_WATER = 8 * 1024 * 1024;
export const LOG_OUTPUT_MAX_WAITING = 32 * 1024 * 1024;

/**
 * The daemon's log destination: bounded, and never blocking the event loop on a slow consumer. Lines are gathered
 * into chunks and written to a stream (a pipe is written by the event loop, not a blocked thread, so the process can
 * always exit). `behind` says the consumer has not kept up; `caughtUp()` resolves once it has taken everything.
 */
export class LogOutput extends EventEmitter<{ "caught-up": [] }> {
  /** manageos' own lines lost because even `maxWaiting` was reached. */
  dropped = 0;
  private readonly stream: Writable;
  private readonly highWater: number;
  private readonly maxWaiting: number;
  private pending = "";
  private readonly ring: ByteRing;
  private scheduled = false;
  private draining = false;
  private closed = false;

  constructor(opts: LogOutputOptions = {}) {
    super();
    this.stream = opts.stream ?? process.stdout;
    this.highWater = opts.highWater ?? LOG_OUTPUT_HIGH_WATER;
    this.maxWaiting = Math.max(opts.maxWaiting ?? LOG_OUTPUT_MAX_WAITING, this.highWater);
    // Room for the high-water mark's worth of ASCII and a chunk past it; beyond, chunks are copied.
    this.ring = new ByteRing(this.highWater + 4 * CHUNK);
    // A consumer that went away (EPIPE) ends the output: later lines have nowhere to go.
    this.stream.on("error", () => {
      this.closed = true;
      this.pending = "";
      this.emit("caught-up");
    });
  }

  /** Characters written and not yet taken by the stream's consumer (ours and the stream's buffer). */
  get waiting(): number {
    return this.pending.length + this.stream.writableLength;
  }

  /** True while more than `highWater` characters wait for the consumer. */
  get behind(): boolean {
    return !this.closed && this.waiting >= this.highWater;
  }

  /** Takes one line (pino's destination interface); dropped and counted past `maxWaiting`. */
  write(line: string): void {
    if (this.closed) return;
    if (this.pending.length + line.length + this.stream.writableLength > this.maxWaiting) {
      this.dropped++;
      return;
    }
    this.pending += line;
    if (this.pending.length >= CHUNK) this.push();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.pushLater);
    }
  }

  /** Resolves once nothing waits for the consumer (at once when nothing does). */
  caughtUp(): Promise<void> {
    if (!this.behind && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.once("caught-up", resolve));
  }

  /** Hands everything over and waits up to `timeoutMs` for the consumer to take it; false when it did not. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.pending.length > 0) this.push();
    if (this.closed || (!this.draining && this.stream.writableLength === 0)) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.caughtUp().then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private readonly written = (): void => this.ring.release();

  private readonly pushLater = (): void => {
    this.scheduled = false;
    if (this.pending.length > 0 && !this.closed) this.push();
  };

  // Writes what is gathered, as bytes from the ring: a chunk waiting for a slow consumer grows neither V8's old
  // generation (as a string would) nor its garbage (as a Buffer per chunk would). Once the stream is full, waits.
  private push(): void {
    const chunk = this.ring.encode(this.pending);
    this.pending = "";
    if (!this.stream.write(chunk, this.written) && !this.draining) {
      this.draining = true;
      this.stream.once("drain", this.onDrain);
    }
  }

  // The stream took everything: hand over what gathered meanwhile, and say so once it is no longer behind.
  private readonly onDrain = (): void => {
    this.draining = false;
    if (this.pending.length > 0) this.push();
    if (!this.draining) this.emit("caught-up");
  };
}
