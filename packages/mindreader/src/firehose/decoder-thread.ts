import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";

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

/** A batch sent to the decoding thread. */
export interface DecodeRequest {
  readonly id: number;
  readonly blocks: readonly DecodeInput[];
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
 * The one thread that decodes blocks to Firehose, in the order they are given: the decoder keeps the contracts'
 * ABIs, so blocks reach it in chain order, one batch after the other. Off the reader's thread, so decoding never
 * holds nodeos' output while there is room for blocks. Started on first use; idle, it does not keep the process up.
 */
export class DecoderThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private lost: string | undefined;

  constructor(private readonly opts: { readonly chain?: "leap" | "spring" } = {}) {}

  /** Batches sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Decodes `blocks` in order, after every batch sent before; a result per block. Never rejects. */
  decode(blocks: readonly DecodeInput[]): Promise<DecodeResult[]> {
    if (this.lost !== undefined) return Promise.resolve(blocks.map(() => this.lostResult()));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<DecodeResult[]>((resolve) => {
      this.pending.set(id, { count: blocks.length, resolve });
      if (this.pending.size === 1) worker.ref();
      const request: DecodeRequest = { id, blocks };
      worker.postMessage(request);
    });
  }

  /** Ends the thread once what was sent is answered. */
  close(): void {
    this.lost ??= "the decoding thread is closed";
    if (this.pending.size === 0) void this.worker?.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(workerUrl(), { workerData: { chain: this.opts.chain } });
    worker.unref();
    worker.on("message", (reply: DecodeReply) => this.answer(reply));
    worker.on("error", (error) => this.fail(`the decoding thread failed: ${error.message}`));
    worker.on("exit", (code) => this.fail(`the decoding thread exited (${code})`));
    this.worker = worker;
    return worker;
  }

  private answer(reply: DecodeReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      if (this.lost !== undefined) void this.worker?.terminate();
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
