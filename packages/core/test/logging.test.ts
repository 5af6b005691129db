import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ByteRing } from "../src/logging/byte-ring.js";
import { createLogger, flushLogger, LogOutput, logOutputOf, moduleLogger, toPinoLevel } from "../src/index.js";

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("logger", () => {
  it("writes JSON lines with level labels, ISO time and the module of child loggers", () => {
    const out = capture();
    const logger = createLogger({ level: "info", format: "json", destination: out.stream, base: { app: "eos" } });
    moduleLogger(logger, "backups").info({ bytes: 3 }, "backup done");
    const [line] = out.lines();
    expect(line).toMatchObject({ level: "info", module: "backups", app: "eos", bytes: 3, msg: "backup done" });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("drops lines below the configured level: debug is off by default", () => {
    const out = capture();
    const logger = createLogger({ format: "json", destination: out.stream });
    logger.debug("status poll");
    logger.trace("development only");
    logger.warn("node recovery");
    expect(out.lines().map((l) => l.level)).toEqual(["warn"]);
  });

  it("serialises errors with their code", () => {
    const out = capture();
    const logger = createLogger({ format: "json", destination: out.stream });
    logger.error({ err: Object.assign(new Error("boom"), { code: "X_ERR_Y" }) }, "failed");
    const err = out.lines()[0]?.err as Record<string, unknown>;
    expect(err).toMatchObject({ message: "boom", code: "X_ERR_Y", type: "Error" });
  });
});

describe("level mapping", () => {
  it("maps level words of child processes to pino levels", () => {
    expect(toPinoLevel("info ")).toBe("info");
    expect(toPinoLevel("WARN")).toBe("warn");
    expect(toPinoLevel("warning")).toBe("warn");
    expect(toPinoLevel("error")).toBe("error");
    expect(toPinoLevel("DEBUG")).toBe("debug");
    expect(toPinoLevel("CRIT")).toBe("fatal");
    expect(toPinoLevel("TRACE")).toBe("trace");
    expect(toPinoLevel("chatty")).toBeUndefined();
  });

  it("maps syslog severities", () => {
    expect(toPinoLevel(3)).toBe("error");
    expect(toPinoLevel("4")).toBe("warn");
    expect(toPinoLevel(6)).toBe("info");
    expect(toPinoLevel(7)).toBe("debug");
    expect(toPinoLevel(9)).toBeUndefined();
  });
});

describe("LogOutput", () => {
  // A consumer that takes nothing until the test lets it.
  function stuckConsumer() {
    const held: (() => void)[] = [];
    let taken = "";
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        held.push(() => {
          taken += chunk.toString();
          callback();
        });
      },
    });
    const release = async () => {
      while (held.length > 0) {
        for (const take of held.splice(0)) take();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    return { stream, release, taken: () => taken };
  }

  it("is behind past its high-water mark, never holds more than its maximum, and counts what it had to drop", async () => {
    const consumer = stuckConsumer();
    const output = new LogOutput({ stream: consumer.stream, highWater: 1000, maxWaiting: 5000 });
    const line = `${"x".repeat(99)}\n`;
    for (let i = 0; i < 100; i++) output.write(line);
    expect(output.behind).toBe(true);
    expect(output.waiting).toBeLessThanOrEqual(5000);
    expect(output.dropped).toBe(50);
    // A consumer that takes nothing cannot hold the exit: the flush gives up after its time.
    expect(await output.flush(50)).toBe(false);
    await consumer.release();
    await output.caughtUp();
    expect(output.behind).toBe(false);
    expect(consumer.taken()).toBe(line.repeat(50));
    expect(await output.flush(50)).toBe(true);
  });

  it("is what createLogger writes JSON to by default, and flushLogger hands its lines over", async () => {
    const logger = createLogger({ format: "json" });
    expect(logOutputOf(moduleLogger(logger, "lines"))).toBeInstanceOf(LogOutput);
    expect(await flushLogger(logger, 1000)).toBe(true);
  });
});

describe("ByteRing", () => {
  it("hands out regions of one allocation in order, reuses them once released, and copies what does not fit", () => {
    // 4 chars may take 12 bytes: a 24-byte ring always has room for the worst case of what it takes.
    const ring = new ByteRing(24);
    const [a, b, c, d] = ["aaaa", "bbbb", "cccc", "dddd"].map((t) => ring.encode(t));
    expect([a, b, c, d].map((x) => x?.toString())).toEqual(["aaaa", "bbbb", "cccc", "dddd"]);
    expect([b, c, d].every((x) => x?.buffer === a?.buffer)).toBe(true);
    // 8 bytes left after the head, the oldest region at the start: no room, so a copy.
    const e = ring.encode("eeee");
    expect(e.buffer).not.toBe(a?.buffer);
    expect(e.toString()).toBe("eeee");
    for (let i = 0; i < 3; i++) ring.release();
    // a, b and c are written: the next chunk wraps to the start, before d, which is still being written.
    const f = ring.encode("ffff");
    expect(f.buffer).toBe(a?.buffer);
    expect(f.byteOffset).toBe(a?.byteOffset);
    expect(d?.toString()).toBe("dddd");
  });
});
