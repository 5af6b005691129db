import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ChunkBuffer } from "./chunk-io.js";

// Hashes chunk buffers off the main thread. Each worker is sent a buffer's shared memory once and keeps
// its view under the buffer's id, so a job is a few bytes of message, never a copy or a new allocation.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const views = new Map();
parentPort.on("message", (job) => {
  if (job.memory !== undefined) views.set(job.id, new Uint8Array(job.memory));
  const hash = createHash("sha256").update(views.get(job.id).subarray(0, job.length)).digest("hex");
  parentPort.postMessage({ seq: job.seq, hash });
});
`;

interface PoolWorker {
  readonly worker: Worker;
  /** True once the thread runs: until then a job would wait for its start. */
  online: boolean;
  readonly jobs: Map<number, { resolve: (hash: string) => void; reject: (error: Error) => void }>;
  /** Buffer ids whose memory this worker has. */
  readonly known: Set<string>;
}

/** sha256 on worker threads (one per core, at most `size`), so hashing runs beside I/O and on every core. */
export class HashPool {
  private readonly workers: PoolWorker[] = [];
  private seq = 0;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  /** Lowercase hex sha256 of the first `length` bytes of `buffer`, which must not change meanwhile. */
  async hash(buffer: ChunkBuffer, length: number): Promise<string> {
    // While no thread has started yet (tens of ms), hashing here (about 8 ms per 16 MiB) is sooner.
    if (this.workers.length > 0 && !this.workers.some((w) => w.online)) {
      return createHash("sha256").update(buffer.bytes.subarray(0, length)).digest("hex");
    }
    const pw = this.pick();
    const seq = this.seq++;
    const first = !pw.known.has(buffer.id);
    pw.known.add(buffer.id);
    return new Promise<string>((resolve, reject) => {
      pw.jobs.set(seq, { resolve, reject });
      pw.worker.postMessage({ seq, id: buffer.id, length, ...(first ? { memory: buffer.memory } : {}) });
    });
  }

  /** Starts every worker now, so their start (tens of ms each) overlaps the run's first reads; hashes meanwhile are done here. */
  warm(): void {
    while (this.workers.length < this.size) this.start();
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((pw) => pw.worker.terminate()));
  }

  // The worker with the fewest jobs, starting another while fewer than `size` run.
  private pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const pw of this.workers) if (best === undefined || pw.jobs.size < best.jobs.size) best = pw;
    if (best !== undefined && (best.jobs.size === 0 || this.workers.length >= this.size)) return best;
    return this.start();
  }

  private start(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    const pw: PoolWorker = { worker, online: false, jobs: new Map(), known: new Set() };
    worker.once("online", () => {
      pw.online = true;
    });
    worker.on("message", (message: { seq: number; hash: string }) => {
      const job = pw.jobs.get(message.seq);
      pw.jobs.delete(message.seq);
      job?.resolve(message.hash);
    });
    const fail = (error: Error) => {
      const index = this.workers.indexOf(pw);
      if (index !== -1) this.workers.splice(index, 1);
      for (const job of pw.jobs.values()) job.reject(error);
      pw.jobs.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`hash worker exited with code ${code}`)));
    this.workers.push(pw);
    return pw;
  }
}
