// Blocks' lines are copied, as UTF-8, into shared memory as they are read: the line strings die young instead of
// being held (and promoted by the garbage collector) until the block ends, and the writer threads read the bytes
// without a copy. Bump allocation: a finished block's bytes are never written again.
const SLAB_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Accumulates the bytes of the block being read, each line followed by a newline. */
export class BlockBytes {
  private slab: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  /** Bytes of the block so far. */
  get length(): number {
    return this.end - this.start;
  }

  /** Forgets the block being read (its bytes are reused by the next one). */
  discard(): void {
    this.end = this.start;
  }

  /** Appends a line and its newline. */
  append(text: string): void {
    // With room in the slab for the most UTF-8 the line can take (3 bytes a UTF-16 unit), it is encoded in one pass
    // without measuring it first, which costs as much as the copy; otherwise it is measured, for a slab of the size.
    const free = this.slab.length - this.end;
    if (text.length * 3 >= free) {
      const need = Buffer.byteLength(text) + 1;
      if (need > free) this.grow(need);
    }
    this.end += this.slab.write(text, this.end, "utf8");
    this.slab[this.end++] = NEWLINE;
  }

  /** The finished block's bytes (a view of shared memory); the next block starts after them. */
  finish(): Buffer {
    const bytes = this.slab.subarray(this.start, this.end);
    this.start = this.end;
    return bytes;
  }

  // A new slab, with the block read so far moved to its start.
  private grow(need: number): void {
    const used = this.end - this.start;
    const next = Buffer.from(new SharedArrayBuffer(Math.max(SLAB_BYTES, (used + need) * 2)));
    this.slab.copy(next, 0, this.start, this.end);
    this.slab = next;
    this.start = 0;
    this.end = used;
  }
}

/** The lines of a block's bytes, without their newlines. */
export function linesOfBytes(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  const lines = text.split("\n");
  lines.pop();
  return lines;
}
