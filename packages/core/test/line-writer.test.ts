import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, type Logger, LogOutput, lineWriterOf } from "../src/index.js";

// The bytes a LogOutput hands its stream.
function sink(): { output: LogOutput; bytes: () => Promise<Buffer> } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  const output = new LogOutput({ stream });
  return {
    output,
    bytes: async () => {
      await output.flush(1000);
      return Buffer.concat(chunks);
    },
  };
}

// Lines a node prints, and the ones that break naive JSON: quotes, backslashes, control characters, non-ASCII,
// lone surrogates (short ones are escaped differently by pino), and lengths around pino's 100-character switch.
const CORPUS = [
  "info  2023-06-01T12:00:00.500 net-0     net_plugin.cpp:3456           operator()           ] connection to peer closed",
  "",
  "a",
  'error 2023-06-01T12:00:00.500 nodeos    controller.cpp:1234  "quoted" and \\backslash\\ and \\" both',
  "tab\there, bell\u0007, escape \u001b[31mred\u001b[0m, carriage\rreturn, nul\u0000",
  "UTF-8: 東京, émoji 🚀, replacement \ufffd",
  "lone \ud83d surrogate",
  `lone surrogate past 100: ${"x".repeat(100)} \udc00 end`,
  "x".repeat(99),
  `${"y".repeat(99)}"`,
  `${"z".repeat(100)}"`,
  `${"w".repeat(101)}\\`,
  "DMLOG APPLIED_TRANSACTION 5 0a0b0c",
  "\u007f delete and \u2028 line separator \u2029",
];

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

async function bothWays(make: (destination: LogOutput) => Logger, bindings: Record<string, unknown>) {
  const viaPino = sink();
  const viaWriter = sink();
  const logger = make(viaPino.output).child(bindings);
  const writer = lineWriterOf(make(viaWriter.output).child(bindings));
  expect(writer).toBeDefined();
  const now = Date.now();
  for (const level of LEVELS) {
    for (const text of CORPUS) {
      for (const truncated of [false, true]) {
        if (truncated) logger[level]({ truncated: true }, text);
        else logger[level](text);
        writer?.write(level, text, now, truncated);
      }
    }
  }
  return { pino: await viaPino.bytes(), writer: await viaWriter.bytes() };
}

describe("lineWriterOf", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes byte for byte what pino writes for every level, bound fields, truncated flag and awkward line", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-03T10:00:00.123Z"));
    const { pino: expected, writer } = await bothWays(
      (destination) => createLogger({ level: "trace", format: "json", destination, base: { app: "eos", hostname: "bp-1" } }),
      { module: "nodeos", stream: "stderr" },
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(writer.equals(expected)).toBe(true);
    const records = expected
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(LEVELS.length * CORPUS.length * 2);
    expect(records[0]).toMatchObject({ level: "trace", time: "2026-12-03T10:00:00.123Z", app: "eos", module: "nodeos", stream: "stderr" });
    expect(records.filter((r) => r.truncated === true)).toHaveLength(LEVELS.length * CORPUS.length);
  });

  it("stamps the time it is given, the time a line was read", async () => {
    const out = sink();
    const writer = lineWriterOf(createLogger({ format: "json", destination: out.output }));
    writer?.write("warn", "late", Date.parse("2024-01-02T03:04:05.678Z"), false);
    expect(JSON.parse((await out.bytes()).toString())).toEqual({ level: "warn", time: "2024-01-02T03:04:05.678Z", msg: "late" });
  });

  it("declines loggers whose lines it would not reproduce, which then log through pino", () => {
    const output = new LogOutput({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
    const json = createLogger({ format: "json", destination: output });
    expect(lineWriterOf(json)).toBeDefined();
    expect(lineWriterOf(json.child({ module: "nodeos" }))).toBeDefined();
    // Not a LogOutput, or pretty.
    expect(lineWriterOf(createLogger({ format: "json", destination: new Writable({ write: (_c, _e, cb) => cb() }) }))).toBeUndefined();
    expect(lineWriterOf(createLogger({ format: "pretty", destination: output }))).toBeUndefined();
    // A message prefix or a serializer of a field the writer writes changes the line.
    expect(lineWriterOf(json.child({}, { msgPrefix: "[node] " }))).toBeUndefined();
    expect(lineWriterOf(json.child({}, { serializers: { truncated: () => "yes" } }))).toBeUndefined();
    expect(lineWriterOf(json.child({}, { redact: ["peer"] }))).toBeUndefined();
    // pino on the LogOutput, but not made by createLogger (its own time format, say).
    expect(lineWriterOf(pino({ timestamp: pino.stdTimeFunctions.isoTime }, output))).toBeUndefined();
  });
});
