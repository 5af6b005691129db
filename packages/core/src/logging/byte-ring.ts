/**
 * One fixed allocation that chunks of the log are encoded into before they are written: a chunk waiting for a slow
 * consumer then costs no new memory, and nothing is left for the garbage collector once it is written. Regions are
 * released in the order they were taken, as a stream calls its write callbacks.
 */
export class ByteRing {
  private buffer: Buffer | undefined;
  private head = 0;
  // Start and end of the regions being written, oldest first; -1 for a chunk that did not fit and was copied.
  private readonly regions: number[] = [];

  constructor(private readonly size: number) {}

  /** The text encoded in the ring, or in a Buffer of its own when the ring has no room for it. */
  encode(text: string): Buffer {
    const worst = text.length * 3;
    const start = this.room(worst);
    if (start < 0) {
      this.regions.push(-1, -1);
      return Buffer.from(text, "utf8");
    }
    this.buffer ??= Buffer.allocUnsafeSlow(this.size);
    const n = this.buffer.write(text, start, "utf8");
    this.head = start + n;
    this.regions.push(start, this.head);
    return this.buffer.subarray(start, this.head);
  }

  /** The oldest chunk was written: its region is free again. */
  release(): void {
    this.regions.splice(0, 2);
    if (this.regions.length === 0) this.head = 0;
  }

  // Where `bytes` fit after the head (or from the start, past the oldest region), -1 when they do not.
  private room(bytes: number): number {
    const tail = this.oldestStart();
    if (tail < 0) return bytes <= this.size ? 0 : -1;
    if (this.head >= tail) {
      if (this.size - this.head >= bytes) return this.head;
      return tail >= bytes ? 0 : -1;
    }
    return tail - this.head >= bytes ? this.head : -1;
  }

  // The start of the oldest region in the ring; -1 when none is.
  private oldestStart(): number {
    for (let i = 0; i < this.regions.length; i += 2) if ((this.regions[i] as number) >= 0) return this.regions[i] as number;
    return -1;
  }
}
