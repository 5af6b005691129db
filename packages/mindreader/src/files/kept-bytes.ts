/**
 * Compressed files kept in memory, up to a bound, for their upload and their bundle, so neither reads them back from
 * disk. Past the bound (a store that is down, a LIB far behind) files are read back from the work dir.
 */
export class KeptBytes {
  private readonly kept = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly bound: number) {}

  /** Keeps a file's bytes while there is room; returns them, or undefined when they were not kept. */
  keep(path: string, bytes: Buffer): Buffer | undefined {
    if (this.bytes + bytes.length > this.bound) return undefined;
    this.kept.set(path, bytes);
    this.bytes += bytes.length;
    return bytes;
  }

  /** Drops a file's bytes (it was removed, or uploaded and bundled). */
  release(path: string): void {
    const bytes = this.kept.get(path);
    if (bytes === undefined) return;
    this.kept.delete(path);
    this.bytes -= bytes.length;
  }
}
