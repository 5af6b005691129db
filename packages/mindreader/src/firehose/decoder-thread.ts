import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { postable } from "../files/postable.js";

/** One block for the decoding thread: its DMLOG lines, and the lines read outside blocks before it. */
export interface DecodeInput {
  readonly bytes: Uint8Array;
  readonly context?: Uint8Array;
}

/** A block decoded (its header facts and its dbin frame), or why not; `skipped` when an earlier block failed. */
export type DecodeResult =
  | {
      readonly ok: true;
      readonly number: number;
      readonly id: string;
      readonly parentId: string;
      readonly parentNum: number;
      readonly libNum: number;
      readonly timestampMs: number;
      readonly frame: Uint8Array;
    }
  | { readonly ok: false; readonly skipped: boolean; readonly code: string; readonly message: string };

/** A batch sent to a decoding thread: to decode, or (`observe`) decoded by another thread, read for its ABIs only. */
export interface DecodeRequest {
  readonly id: number;
  readonly blocks: readonly DecodeInput[];
  readonly observe?: boolean;
}

/** The thread's answer: a result per block, in order. */
export interface DecodeReply {
  readonly id: number;
  readonly results: DecodeResult[];
}

interface Pending {
  readonly count: number;
  readonly resolve: (results: DecodeResult[]) => void;
}

// The built worker beside the bundle; from the sources (tests), the package's build.
function workerUrl(): URL {
  const beside = new URL("./firehose-decode-worker.js", import.meta.url);
  if (existsSync(beside)) return beside;
  const built = new URL("../../dist/firehose-decode-worker.js", import.meta.url);
  if (existsSync(built)) return built;
  throw new Error(`no firehose-decode-worker.js beside ${import.meta.url}: build @manageos/mindreader first`);
}

/**
 * The threads that decode blocks to Firehose, off the reader's thread, so decoding never holds nodeos' output while
 * there is room for blocks. Each decoder keeps the contracts' ABIs, so every thread is given every batch in chain
 * order: the batch's own thread (one after the other, round robin) decodes it, the others read it for its ABIs
 * only (ABIDUMP, setabi), which costs a scan of its bytes. Started on first use; idle, they do not keep the process up.
 */
export class DecoderThread {
  private workers: Worker[] | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private lost: string | undefined;

  constructor(private readonly opts: { readonly chain?: "leap" | "spring"; readonly threads?: number } = {}) {}

  /** Batches sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Decodes `blocks` in order, after every batch sent before; a result per block. Never rejects. */
  decode(blocks: readonly DecodeInput[]): Promise<DecodeResult[]> {
    if (this.lost !== undefined) return Promise.resolve(blocks.map(() => this.lostResult()));
    const workers = this.start();
    const id = this.nextId++;
    const owner = workers[id % workers.length]!;
    return new Promise<DecodeResult[]>((resolve) => {
      this.pending.set(id, { count: blocks.length, resolve });
      if (this.pending.size === 1) for (const worker of workers) worker.ref();
      const own = blocks.map(({ bytes, context }) => ({ bytes: postable(bytes), context: context && postable(context) }));
      for (const worker of workers) {
        const request: DecodeRequest = { id, blocks: own, observe: worker !== owner };
        worker.postMessage(request);
      }
    });
  }

  /** Ends the thread once what was sent is answered. */
  close(): void {
    this.lost ??= "the decoding thread is closed";
    if (this.pending.size === 0) this.terminate();
  }

  private start(): Worker[] {
    if (this.workers !== undefined) return this.workers;
    const count = Math.max(1, this.opts.threads ?? 1);
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(workerUrl(), { workerData: { chain: this.opts.chain } });
      worker.unref();
      worker.on("message", (reply: DecodeReply) => this.answer(reply));
      worker.on("error", (error) => this.fail(`a decoding thread failed: ${error.message}`));
      worker.on("exit", (code) => this.fail(`a decoding thread exited (${code})`));
      return worker;
    });
    return this.workers;
  }

  private terminate(): void {
    for (const worker of this.workers ?? []) void worker.terminate();
  }

  private answer(reply: DecodeReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      for (const worker of this.workers ?? []) worker.unref();
      if (this.lost !== undefined) this.terminate();
    }
    pending.resolve(reply.results);
  }

  // A thread gone takes the decoder's state with it: what it had and everything after fails.
  private fail(reason: string): void {
    this.lost ??= reason;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.resolve(Array.from({ length: pending.count }, () => this.lostResult()));
    }
  }

  private lostResult(): DecodeResult {
    return { ok: false, skipped: false, code: "MDR_ERR_DECODE", message: this.lost ?? "no decoding thread" };
  }
}
