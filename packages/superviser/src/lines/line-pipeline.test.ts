import { Readable } from "node:stream";
import type { LogLine } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { quietLogger } from "../../test/helpers.js";
import { LinePipeline, PIPE_READ_SIZE } from "./line-pipeline.js";

// `bytes` of 64-byte lines, each ending in a newline; the first line says `tag`.
function chunk(tag: string, bytes: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; lines.length * 64 < bytes; i++) lines.push(`${`info  ${tag} ${i} `.padEnd(63, ".")}\n`);
  return Buffer.from(lines.join(""));
}

// A pipe that delivers each pushed chunk as one read.
function pipe(): Readable {
  return new Readable({ read: () => undefined });
}

async function reads(stream: Readable, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) {
    stream.push(c);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("LinePipeline on a pipe that stays full", () => {
  it("marks stderr lines backlogged from the second full read in a row until a read comes back less than half full", async () => {
    const seen: { tag: string; backlogged: boolean }[] = [];
    const plugin = {
      name: "recorder",
      handle: (line: LogLine) => {
        // One entry per run of lines with the same tag and mark: a mark that changes inside a read shows twice.
        const tag = line.text.split(" ")[2] as string;
        const backlogged = line.backlogged === true;
        const last = seen.at(-1);
        if (last?.tag !== tag || last.backlogged !== backlogged) seen.push({ tag, backlogged });
      },
    };
    const pipeline = new LinePipeline([plugin], { maxLineLength: 1 << 20, queueLines: 100 }, { logger: quietLogger() });
    const stderr = pipe();
    pipeline.attach(stderr, "stderr");
    await reads(stderr, [
      chunk("a", 1024),
      chunk("full1", PIPE_READ_SIZE),
      chunk("full2", PIPE_READ_SIZE),
      chunk("full3", PIPE_READ_SIZE),
      chunk("half", PIPE_READ_SIZE / 2),
      chunk("small", 1024),
      chunk("full4", PIPE_READ_SIZE),
      chunk("small2", 4096),
      chunk("full5", PIPE_READ_SIZE),
    ]);
    expect(seen).toEqual([
      { tag: "a", backlogged: false },
      // One full read alone (after a pause of the event loop, say) is not a backlog.
      { tag: "full1", backlogged: false },
      { tag: "full2", backlogged: true },
      { tag: "full3", backlogged: true },
      // Half full: still behind.
      { tag: "half", backlogged: true },
      { tag: "small", backlogged: false },
      { tag: "full4", backlogged: false },
      { tag: "small2", backlogged: false },
      { tag: "full5", backlogged: false },
    ]);
  });

  it("never marks a line cut at the maximum length, which full reads of its own rest follow", async () => {
    const seen: { head: string; truncated: boolean; backlogged: boolean }[] = [];
    const plugin = {
      name: "recorder",
      handle: (line: LogLine) =>
        void seen.push({ head: line.text.slice(0, 12), truncated: line.truncated, backlogged: line.backlogged === true }),
    };
    const pipeline = new LinePipeline([plugin], { maxLineLength: 1 << 20, queueLines: 100 }, { logger: quietLogger() });
    const stderr = pipe();
    pipeline.attach(stderr, "stderr");
    const long = Buffer.alloc(3 * PIPE_READ_SIZE, "x");
    long.write("info  long ", 0);
    await reads(stderr, [
      long.subarray(0, PIPE_READ_SIZE),
      long.subarray(PIPE_READ_SIZE, 2 * PIPE_READ_SIZE),
      long.subarray(2 * PIPE_READ_SIZE),
    ]);
    await reads(stderr, [Buffer.from("\n"), chunk("next", PIPE_READ_SIZE), chunk("then", PIPE_READ_SIZE)]);
    expect(seen.filter((s) => s.truncated)).toEqual([{ head: "info  long x", truncated: true, backlogged: false }]);
    expect(seen.find((s) => s.head.startsWith("info  next"))?.backlogged).toBe(false);
    expect(seen.find((s) => s.head.startsWith("info  then"))?.backlogged).toBe(true);
  });

  it("never marks stdout (deep-mind waits instead)", async () => {
    const marked: boolean[] = [];
    const plugin = { name: "recorder", handle: (line: LogLine) => void marked.push(line.backlogged === true) };
    const pipeline = new LinePipeline([plugin], { maxLineLength: 1 << 20, queueLines: 100 }, { logger: quietLogger() });
    const stdout = pipe();
    pipeline.attach(stdout, "stdout");
    await reads(stdout, [chunk("x", PIPE_READ_SIZE), chunk("y", PIPE_READ_SIZE), chunk("z", PIPE_READ_SIZE)]);
    expect(marked.length).toBe((3 * PIPE_READ_SIZE) / 64);
    expect(marked.every((m) => !m)).toBe(true);
  });
});
