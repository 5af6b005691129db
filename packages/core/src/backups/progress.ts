/** Progress of a backup or restore, as jobs report it. */
export interface BackupProgress {
  readonly current: number;
  readonly total: number;
  readonly unit: "bytes";
  readonly message: string;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly chunksDone: number;
  readonly chunksTotal: number;
}

/** Called after every chunk; must not throw. */
export type ProgressListener = (progress: BackupProgress) => void;

/** Counts bytes, chunks and files and reports them. */
export class ProgressTracker {
  private current = 0;
  private filesDone = 0;
  private chunksDone = 0;
  private readonly remaining = new Map<string, number>();

  constructor(
    private readonly verb: string,
    private readonly total: number,
    private readonly chunksTotal: number,
    files: { path: string; chunks: number }[],
    private readonly listener: ProgressListener | undefined,
  ) {
    for (const file of files) {
      if (file.chunks === 0) this.filesDone++;
      else this.remaining.set(file.path, file.chunks);
    }
  }

  /** One chunk of `path` (of `bytes` bytes) is done. */
  chunkDone(path: string, bytes: number): void {
    this.current += bytes;
    this.chunksDone++;
    const left = (this.remaining.get(path) ?? 1) - 1;
    if (left <= 0) {
      this.remaining.delete(path);
      this.filesDone++;
    } else {
      this.remaining.set(path, left);
    }
    this.report(`${this.verb} ${path}`);
  }

  /** Reports a step without bytes (start, manifest, swap). */
  report(message: string): void {
    this.listener?.({
      current: this.current,
      total: this.total,
      unit: "bytes",
      message,
      filesDone: this.filesDone,
      filesTotal: this.filesDone + this.remaining.size,
      chunksDone: this.chunksDone,
      chunksTotal: this.chunksTotal,
    });
  }
}
