import { Worker } from "node:worker_threads";
import { FIREHOSE_ZSTD_PARAMS } from "../firehose/format.js";
import { type DamagedHex, findDamagedHex } from "./hex-fields.js";
import { postable } from "./postable.js";

/** One file to compress and write: a first line, then bytes (shared memory is read by the thread without a copy). */
export interface PoolFile {
  /** File name inside the batch's directory; undefined to compress only, the bytes written by the caller. */
  readonly name: string | undefined;
  /** The file's first line, without its newline. */
  readonly head: string;
  /** The rest of the file, before compression. */
  readonly body: Uint8Array;
}

/** One block to compress with zstd: its dbin frame, written after the format's file head when `name` is given. */
export interface ZstdFile {
  readonly name: string | undefined;
  readonly frame: Uint8Array;
}

/** Bytes of a bundle: a whole file, or `length` bytes of it from `offset` (to its end without `length`). */
export interface ConcatSource {
  readonly path: string;
  readonly offset?: number;
  readonly length?: number;
}

/**
 * What became of one file: its compressed bytes (without the file head), or why it could not be written; `damaged`
 * when the block's own lines are (a hex payload cut or not hex), not the disk.
 */
export type PoolResult =
  | { readonly ok: true; readonly bytes: Buffer; readonly input?: Uint8Array }
  | { readonly ok: false; readonly error: Error; readonly damaged?: DamagedHex };

interface Request {
  readonly worker: PoolWorker;
  readonly count: number;
  readonly resolve: (results: PoolResult[]) => void;
}

interface PoolWorker {
  readonly thread: Worker;
  busy: number;
}

const NO_PREFIX = new Uint8Array(0);

type Reply = {
  id: number;
  results: Array<{ buffer: ArrayBuffer; input?: ArrayBuffer } | { message: string; code?: string; damaged?: DamagedHex }>;
};

// Runs in each thread (CommonJS, from source text so the same code serves the build and the tests). Per file: the
// dmlog format's hex check and gzip level 1, or zstd of a dbin frame; then (unless the caller appends the bytes to a
// bundle itself) temp file + rename with synchronous calls, no fsync. Synchronous calls in a thread of its own cost
// one hop per batch instead of four trips through libuv's pool per file, and keep compression off the reader's thread.
const WORKER_SOURCE = `
const { parentPort, threadId } = require("node:worker_threads");
const { gzipSync, zstdCompressSync, constants } = require("node:zlib");
const ZSTD = { params: ${JSON.stringify(FIREHOSE_ZSTD_PARAMS)} };
${findDamagedHex.toString()}
const { readFileSync, writeFileSync, renameSync, rmSync } = require("node:fs");
const { basename, dirname, join } = require("node:path");
const GZIP = { level: constants.Z_BEST_SPEED };
// Temp names unique to this process and thread, without a random number per file.
const TEMP_TAG = process.pid.toString(36) + "-" + threadId.toString(36) + "-";
let temps = 0;
// Temp file + rename: a reader, or the next start, sees all of a file or none of it.
const writeFile = (path, bytes) => {
  const temp = join(dirname(path), "." + basename(path) + "." + TEMP_TAG + (temps++).toString(36) + ".tmp");
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
};
const failure = (error) => ({ message: String(error && error.message || error), code: error && error.code });
parentPort.on("message", (msg) => {
  const results = [];
  const transfer = [];
  if (msg.kind === "write" || msg.kind === "zstd") {
    const prefix = msg.prefix === undefined ? undefined : Buffer.from(msg.prefix);
    for (const file of msg.files) {
      try {
        const body = Buffer.from(file.buffer, file.offset, file.length);
        let gz;
        if (msg.kind === "zstd") {
          gz = zstdCompressSync(body, ZSTD);
        } else {
          const damaged = findDamagedHex(body);
          if (damaged !== undefined) {
            results.push({ message: damaged.what + ": " + damaged.reason, damaged });
            continue;
          }
          const head = Buffer.from(file.head + "\\n");
          gz = gzipSync(Buffer.concat([head, body], head.length + body.length), GZIP);
        }
        if (file.name !== undefined) writeFile(join(msg.dir, file.name), prefix === undefined ? gz : Buffer.concat([prefix, gz]));
        // A buffer of its own, so it can be handed over without a copy.
        const own = new Uint8Array(gz.length);
        own.set(gz);
        // A frame handed over to this thread goes back the same way.
        if (file.moved) {
          results.push({ buffer: own.buffer, input: file.buffer });
          transfer.push(own.buffer, file.buffer);
        } else {
          results.push({ buffer: own.buffer });
          transfer.push(own.buffer);
        }
      } catch (error) {
        results.push(failure(error));
      }
    }
  } else if (msg.kind === "concat") {
    // A bundle: the sources' bytes back to back (whole files, or slices of a part), written like the others.
    try {
      const files = new Map();
      const read = (path) => files.get(path) ?? files.set(path, readFileSync(path)).get(path);
      const slice = (s) => (s.offset === undefined ? read(s.path) : read(s.path).subarray(s.offset, s.length === undefined ? undefined : s.offset + s.length));
      const bytes = Buffer.concat([Buffer.from(msg.prefix), ...msg.sources.map(slice)]);
      writeFile(msg.path, bytes);
      const own = new Uint8Array(bytes.length);
      own.set(bytes);
      results.push({ buffer: own.buffer });
      transfer.push(own.buffer);
    } catch (error) {
      results.push(failure(error));
    }
  } else if (msg.kind === "split") {
    // One-block files cut out of a part: each member is a whole one-block file.
    let part;
    for (const m of msg.members) {
      try {
        part ??= readFileSync(msg.path);
        writeFile(join(msg.dir, m.name), Buffer.concat([Buffer.from(msg.prefix), part.subarray(m.offset, m.offset + m.length)]));
        results.push({ buffer: new ArrayBuffer(0) });
      } catch (error) {
        results.push(failure(error));
      }
    }
  } else {
    for (const path of msg.paths) {
      try { rmSync(path, { force: true }); } catch {}
    }
  }
  parentPort.postMessage({ id: msg.id, results }, transfer);
});
`;

/**
 * Threads that gzip and write one-block files (temp file + rename) and remove files, in batches. Threads start on
 * first use and do not keep the process alive while idle.
 */
export class WriterPool {
  private readonly workers: PoolWorker[] = [];
  private readonly requests = new Map<number, Request>();
  private nextId = 0;
  private closing = false;

  /** `threads` threads at most. */
  constructor(private readonly threads: number) {}

  /** Batches sent and not answered yet. */
  get inFlight(): number {
    return this.requests.size;
  }

  /**
   * Checks the hex payloads of each block's lines, gzips and writes `files` into `dir` (the dmlog format); one result
   * per file, in order. Never rejects.
   */
  write(dir: string, files: readonly PoolFile[]): Promise<PoolResult[]> {
    // A SharedArrayBuffer is shared with the thread, any other buffer copied.
    const plain = files.map(({ name, head, body }) => {
      const own = postable(body);
      return { name, head, buffer: own.buffer, offset: own.byteOffset, length: own.byteLength };
    });
    return this.send({ kind: "write", dir, files: plain }, files.length);
  }

  /**
   * Compresses each dbin frame with zstd (the Firehose format) and writes `files` into `dir`, each after `prefix`;
   * one result per file, in order, the bytes without the prefix. Never rejects.
   */
  zstd(dir: string, prefix: Uint8Array, files: readonly ZstdFile[]): Promise<PoolResult[]> {
    // A frame alone in its own ArrayBuffer (as the decoding thread hands them over) moves to the thread and back,
    // its result's `input`, instead of being copied both ways; the caller must not touch it until then.
    const moved = new Set<ArrayBuffer>();
    const plain = files.map(({ name, frame }) => {
      const own = postable(frame);
      const { buffer } = own;
      const move = own === frame && buffer instanceof ArrayBuffer && !moved.has(buffer);
      if (move) moved.add(buffer);
      return { name, buffer, offset: own.byteOffset, length: own.byteLength, moved: move };
    });
    return this.send({ kind: "zstd", dir, prefix: postable(prefix), files: plain }, files.length, [...moved]);
  }

  /** Writes `prefix` then the sources back to back into the file at `path` (temp file + rename); resolves with its bytes. */
  async concat(sources: readonly ConcatSource[], path: string, prefix: Uint8Array = NO_PREFIX): Promise<PoolResult> {
    const [result] = await this.send({ kind: "concat", prefix: postable(prefix), sources, path }, 1);
    return result ?? { ok: false, error: new Error("no answer from the writer thread") };
  }

  /**
   * Writes slices of the file at `path` as files of their own in `dir`, each after `prefix` (temp file + rename); a
   * result per slice.
   */
  split(
    path: string,
    dir: string,
    members: ReadonlyArray<{ name: string; offset: number; length: number }>,
    prefix: Uint8Array = NO_PREFIX,
  ): Promise<PoolResult[]> {
    const plain = members.map(({ name, offset, length }) => ({ name, offset, length }));
    return this.send({ kind: "split", path, dir, prefix: postable(prefix), members: plain }, members.length);
  }

  /** Removes files (absent ones are fine). */
  async remove(paths: readonly string[]): Promise<void> {
    if (paths.length > 0) await this.send({ kind: "remove", paths }, 0);
  }

  /** Ends the threads once what was sent is done. */
  close(): void {
    this.closing = true;
    this.stopIdle();
  }

  private send(message: Record<string, unknown>, count: number, transfer: ArrayBuffer[] = []): Promise<PoolResult[]> {
    const worker = this.pick();
    const id = this.nextId++;
    return new Promise<PoolResult[]>((resolve) => {
      this.requests.set(id, { worker, count, resolve });
      if (worker.busy++ === 0) worker.thread.ref();
      worker.thread.postMessage({ ...message, id }, transfer);
    });
  }

  // The least busy thread, starting one more while under `threads` and every running one has work.
  private pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const worker of this.workers) if (best === undefined || worker.busy < best.busy) best = worker;
    if (best !== undefined && (best.busy === 0 || this.workers.length >= this.threads)) return best;
    return this.spawn();
  }

  private spawn(): PoolWorker {
    const thread = new Worker(WORKER_SOURCE, { eval: true });
    const worker: PoolWorker = { thread, busy: 0 };
    thread.unref();
    thread.on("message", (reply: Reply) => this.answer(worker, reply));
    thread.on("error", (error) => this.lost(worker, error));
    thread.on("exit", (code) => this.lost(worker, new Error(`block file writer thread exited (${code})`)));
    this.workers.push(worker);
    return worker;
  }

  private answer(worker: PoolWorker, reply: Reply): void {
    const request = this.requests.get(reply.id);
    if (request === undefined) return;
    this.requests.delete(reply.id);
    if (--worker.busy === 0) worker.thread.unref();
    request.resolve(
      reply.results.map((result) =>
        "buffer" in result
          ? { ok: true, bytes: Buffer.from(result.buffer), input: result.input === undefined ? undefined : new Uint8Array(result.input) }
          : { ok: false, error: Object.assign(new Error(result.message), { code: result.code }), damaged: result.damaged },
      ),
    );
    if (this.closing) this.stopIdle();
  }

  // A thread that died fails what it had; the next batch starts a new one.
  private lost(worker: PoolWorker, error: Error): void {
    const index = this.workers.indexOf(worker);
    if (index < 0) return;
    this.workers.splice(index, 1);
    for (const [id, request] of this.requests) {
      if (request.worker !== worker) continue;
      this.requests.delete(id);
      request.resolve(Array.from({ length: request.count }, () => ({ ok: false, error })));
    }
  }

  private stopIdle(): void {
    for (const worker of [...this.workers]) {
      if (worker.busy > 0) continue;
      this.workers.splice(this.workers.indexOf(worker), 1);
      void worker.thread.terminate();
    }
  }
}
