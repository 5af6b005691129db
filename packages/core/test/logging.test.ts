import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, moduleLogger, toPinoLevel } from "../src/index.js";

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
