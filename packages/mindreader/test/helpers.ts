import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { createLogger, type Logger, type PutOptions, type Store, type StoreObject } from "@manageos/core";
import type { LogLine } from "@manageos/core";
import { buildSignedBlock, formatAcceptedBlockV2Line, formatStartBlockLine } from "../src/index.js";

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString("utf8").split("\n")) if (text) lines.push(JSON.parse(text));
      callback();
    },
  });
  return { logger: createLogger({ format: "json", level: "debug", destination }), lines };
}

/** An in-memory store that can be made to fail or hang, to stand for a block store in trouble. */
export class TestStore implements Store {
  readonly url = "memory://test";
  readonly objects = new Map<string, Buffer>();
  mode: "ok" | "fail" | "hang" = "ok";
  puts = 0;
  private readonly hung: Array<() => void> = [];

  async put(key: string, body: Readable | Uint8Array | string, _options?: PutOptions): Promise<void> {
    this.puts++;
    if (this.mode === "fail") throw new Error("store unavailable");
    const bytes = typeof body === "string" || body instanceof Uint8Array ? Buffer.from(body) : await toBuffer(body);
    if (this.mode === "hang") {
      return new Promise<void>((resolve) =>
        this.hung.push(() => {
          this.objects.set(key, bytes);
          resolve();
        }),
      );
    }
    this.objects.set(key, bytes);
  }
  async get(key: string): Promise<Readable> {
    return Readable.from([await this.getBytes(key)]);
  }
  async getBytes(key: string): Promise<Buffer> {
    const bytes = this.objects.get(key);
    if (bytes === undefined) throw new Error(`not found: ${key}`);
    return bytes;
  }
  async stat(key: string): Promise<StoreObject | undefined> {
    const bytes = this.objects.get(key);
    return bytes === undefined ? undefined : { key, size: bytes.length, updatedAt: undefined };
  }
  async *list(prefix: string): AsyncIterable<StoreObject> {
    for (const key of [...this.objects.keys()].sort()) {
      if (key.startsWith(prefix)) yield { key, size: this.objects.get(key)!.length, updatedAt: undefined };
    }
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  /** Lets hung puts finish, late, as a slow store would. */
  releaseHung(): void {
    for (const resolve of this.hung.splice(0)) resolve();
  }
}

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A temp dir removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "mindreader-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A stdout line as the superviser hands it over. */
export function stdout(text: string, receivedAt = Date.now()): LogLine {
  return { stream: "stdout", text, truncated: false, receivedAt };
}

/** Deep-mind lines of a linked synthetic spring chain: blocks `first`..`last`, LIB `lag` blocks behind. */
export function syntheticChain(
  first: number,
  last: number,
  options: { lag?: number; startMs?: number; genesisPrevious?: string } = {},
): { lines: string[]; ids: Map<number, string> } {
  const lag = options.lag ?? 3;
  const startMs = options.startMs ?? Date.UTC(2024, 0, 1);
  let previous = options.genesisPrevious ?? `${(first - 1).toString(16).padStart(8, "0")}${"11".repeat(28)}`;
  const lines = ["DMLOG DEEP_MIND_VERSION spring 1 0"];
  const ids = new Map<number, string>();
  for (let num = first; num <= last; num++) {
    const block = buildSignedBlock({ previous, timeMs: startMs + (num - first) * 500, producer: "bp.a" });
    const line = formatAcceptedBlockV2Line(block, Math.max(0, num - lag));
    const id = line.split(" ")[2]!;
    lines.push(formatStartBlockLine(num), `DMLOG RLIMIT_OP STATE UPD {"block":${num}}`, line);
    ids.set(num, id);
    previous = id;
  }
  return { lines, ids };
}
