import { request } from "node:http";
import type { Store } from "@manageos/core";
import { type OneBlockName, parseFirehoseOneBlockFileName, parseOneBlockFileName } from "@manageos/mindreader";

/** Polls `probe` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** One-block files in the store (either format), in block order. */
export async function storedOneBlocks(store: Store): Promise<Array<OneBlockName & { key: string }>> {
  const found: Array<OneBlockName & { key: string }> = [];
  for await (const object of store.list("one-blocks/")) {
    const name = object.key.slice("one-blocks/".length);
    const parsed = parseFirehoseOneBlockFileName(name) ?? parseOneBlockFileName(name);
    if (parsed !== undefined) found.push({ ...parsed, key: object.key });
  }
  return found.sort((a, b) => a.num - b.num);
}

/** Keys of the bundles in the store: `merged-blocks/` (Firehose), `bundles/` (dmlog). */
export async function storedBundles(store: Store, prefix = "merged-blocks/"): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

/** Where a run of one-block files breaks: a missing number or a previous id that is not the block before's id. */
export function chainBreaks(files: ReadonlyArray<OneBlockName>): string[] {
  const breaks: string[] = [];
  for (let i = 1; i < files.length; i++) {
    const before = files[i - 1]!;
    const file = files[i]!;
    if (file.num !== before.num + 1) breaks.push(`gap ${before.num} -> ${file.num}`);
    else if (file.previousTail !== before.idTail) breaks.push(`block ${file.num} does not link to ${before.num}`);
  }
  return breaks;
}

/** The value of a metric without labels of its own (the registry's default labels aside), undefined when absent. */
export async function metric(api: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** The node's head block number from its own API, undefined while it does not answer. */
export async function nodeHead(nodeUrl: string): Promise<number | undefined> {
  try {
    const info = (await (await fetch(`${nodeUrl}/v1/chain/get_info`)).json()) as { head_block_num: number };
    return info.head_block_num;
  } catch {
    return undefined;
  }
}

/** A block event of the live stream (the dmlog format's header, or a Firehose block's JSON, read the same way). */
export interface StreamedBlock {
  readonly num: number;
  readonly id: string;
  readonly previous: string;
  readonly lib: number;
  /** The event as sent. */
  readonly raw: Record<string, unknown>;
}

// dmlog events carry num, previous, lib; Firehose blocks' JSON number, parentId, libNum (64-bit numbers as text).
function streamedBlock(raw: Record<string, unknown>): StreamedBlock {
  return {
    num: Number(raw["num"] ?? raw["number"]),
    id: String(raw["id"]),
    previous: String(raw["previous"] ?? raw["parentId"]),
    lib: Number(raw["lib"] ?? raw["libNum"] ?? 0),
    raw,
  };
}

/** Reads `count` block events from an SSE URL, then closes the connection. */
export function readBlockEvents(url: string, count: number, timeoutMs = 20_000): Promise<StreamedBlock[]> {
  return new Promise((resolve, reject) => {
    const events: StreamedBlock[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${events.length} of ${count} block events within ${timeoutMs} ms`));
    }, timeoutMs);
    const req = request(url, (res) => {
      if (res.statusCode !== 200 || !String(res.headers["content-type"]).includes("text/event-stream")) {
        clearTimeout(timer);
        req.destroy();
        reject(new Error(`status ${res.statusCode} ${res.headers["content-type"]}`));
        return;
      }
      let buffer = "";
      res.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((l) => l.startsWith("data: "));
          if (frame.startsWith("event: block") && data !== undefined)
            events.push(streamedBlock(JSON.parse(data.slice(6)) as Record<string, unknown>));
        }
        if (events.length >= count) {
          clearTimeout(timer);
          req.destroy();
          resolve(events.slice(0, count));
        }
      });
    });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

/** Opens an SSE URL and resolves once the response started; `ended` settles when the server closes it. */
export function openStream(url: string): Promise<{ ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const ended = new Promise<void>((done) => {
        res.on("close", done);
        res.on("error", () => done());
      });
      res.resume();
      resolve({ ended });
    });
    req.on("error", reject);
    req.end();
  });
}
