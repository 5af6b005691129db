import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { LogLine } from "@manageos/core";
import { registerSuperviserMetrics } from "../src/metrics/superviser-metrics.js";
import type { Clock } from "../src/process/clock.js";
import { Superviser } from "../src/process/superviser.js";
import type { SuperviserOptions } from "../src/process/superviser-types.js";
import { RegexpHookPlugin } from "../src/plugins/regexp-hook.js";
import type { LogPlugin } from "@manageos/core";
import { isAlive } from "@manageos/testkit";
import { fixture, ManualClock, quietLogger, waitFor } from "./helpers.js";

const started: Superviser[] = [];

afterEach(async () => {
  for (const s of started.splice(0)) {
    const pid = s.pid;
    await s.close();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  }
});

function make(
  script: string | (() => string[]),
  extra: Partial<SuperviserOptions> = {},
  deps: { plugins?: LogPlugin[]; clock?: Clock } = {},
): Superviser {
  const opts: SuperviserOptions = {
    name: "fixture",
    launch:
      typeof script === "string"
        ? { command: process.execPath, args: script.split(" ").map((a, i) => (i === 0 ? fixture(a) : a)) }
        : () => ({ command: process.execPath, args: script() }),
    terminate: { termRetryInterval: 10_000, killAfter: 30_000 },
    restart: { policy: "never", backoffBase: 100, backoffCap: 400, resetAfter: 60_000, crashLoopThreshold: 3 },
    maxLineLength: 64 * 1024 * 1024,
    queueLines: 1000,
    keepLastLines: 50,
    ...extra,
  };
  const s = new Superviser(opts, { logger: quietLogger(), ...deps });
  started.push(s);
  return s;
}

describe("Superviser stop", () => {
  it("stops a graceful child with one SIGTERM and reports a requested clean exit", async () => {
    const hooks = new RegexpHookPlugin();
    const ready = hooks.waitFor(/^ready$/);
    const s = make("graceful.js", {}, { plugins: [hooks] });
    await s.start();
    const pid = s.pid as number;
    expect(s.state).toBe("running");
    await ready;
    const exit = await s.stop();
    expect(exit).toMatchObject({ exitCode: 0, signal: undefined, killed: false, timedOut: false, requested: true });
    expect(s.state).toBe("stopped");
    expect(isAlive(pid)).toBe(false);
    expect(s.lastLines()).toContain("got SIGTERM, shutting down");
  });

  it("repeats SIGTERM, then SIGKILLs a child that ignores it", async () => {
    const hooks = new RegexpHookPlugin();
    const ready = hooks.waitFor(/^ready$/);
    const terms: string[] = [];
    hooks.onMatch(/got SIGTERM/, (m) => terms.push(m[0]));
    const s = make("ignores-term.js", { terminate: { termRetryInterval: 300, killAfter: 1_500 } }, { plugins: [hooks] });
    await s.start();
    const pid = s.pid as number;
    await ready;
    const exit = await s.stop();
    expect(exit).toMatchObject({ signal: "SIGKILL", killed: true, timedOut: true, requested: true });
    expect(terms.length).toBeGreaterThanOrEqual(2);
    expect(isAlive(pid)).toBe(false);
    expect(s.state).toBe("stopped");
  });
});

describe("Superviser crash handling", () => {
  it("restarts a crashing child with exponential backoff up to the cap and shows the crash loop", async () => {
    const clock = new ManualClock();
    const s = make("exit-with.js 3", { restart: { ...restartOpts(), policy: "on-failure" } }, { clock });
    const registry = new Registry();
    registerSuperviserMetrics(registry, s);
    const delays: number[] = [];
    const states: string[] = [];
    s.on("state", (next) => states.push(next));
    for (let attempt = 1; attempt <= 4; attempt++) {
      const backoff = waitFor<[{ delayMs: number; crashLoop: boolean }]>(s, "backoff");
      if (attempt === 1) await s.start();
      const [event] = await backoff;
      delays.push(event.delayMs);
      expect(event.crashLoop).toBe(attempt >= 3);
      expect(s.state).toBe(attempt >= 3 ? "crash-loop" : "backoff");
      if (attempt < 4) {
        const spawned = waitFor(s, "spawn");
        clock.advance(event.delayMs);
        await spawned;
      }
    }
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(s.restarts).toBe(3);
    expect(states).toContain("crash-loop");
    const text = await registry.metrics();
    expect(text).toContain("manageos_node_crash_loop 1");
    expect(text).toContain("manageos_node_restarts_total 3");
    expect(text).toContain('manageos_node_exits_total{code="3"} 4');
    expect(text).toContain('manageos_node_last_exit_reason{reason="error"} 1');
    await s.stop();
    expect(s.state).toBe("stopped");
    expect(clock.pending()).toEqual([]);
  });

  it("resets the crash count after stable uptime", async () => {
    const clock = new ManualClock();
    let attempt = 0;
    const s = make(
      () => (++attempt <= 2 ? [fixture("exit-with.js"), "1"] : [fixture("forever.js")]),
      { restart: { ...restartOpts(), policy: "always" } },
      { clock },
    );
    const first = waitFor<[{ attempt: number }]>(s, "backoff");
    await s.start();
    expect((await first)[0].attempt).toBe(1);
    let spawned = waitFor(s, "spawn");
    const second = waitFor<[{ attempt: number }]>(s, "backoff");
    clock.advance(100);
    await spawned;
    expect((await second)[0].attempt).toBe(2);
    spawned = waitFor(s, "spawn");
    clock.advance(200);
    await spawned;
    expect(s.crashes).toBe(2);
    clock.advance(60_000);
    expect(s.crashes).toBe(0);
    const third = waitFor<[{ attempt: number; delayMs: number }]>(s, "backoff");
    process.kill(s.pid as number, "SIGKILL");
    expect((await third)[0]).toMatchObject({ attempt: 1, delayMs: 100 });
    expect(s.lastExit).toMatchObject({ signal: "SIGKILL", requested: false, killed: false });
  });

  it("does not restart under policy never and ends failed", async () => {
    const s = make("exit-with.js 4");
    const exited = waitFor<[{ exitCode: number }]>(s, "exit");
    const failed = waitFor(s, "state", (next) => next === "failed");
    await s.start();
    expect((await exited)[0].exitCode).toBe(4);
    await failed;
    expect(s.restarts).toBe(0);
    expect(s.lastLines()).toEqual(["exiting with 4"]);
  });

  it("does not restart a clean exit under on-failure", async () => {
    const s = make("exit-with.js 0", { restart: { ...restartOpts(), policy: "on-failure" } });
    const stopped = waitFor(s, "state", (next) => next === "stopped");
    await s.start();
    await stopped;
    expect(s.lastExit).toMatchObject({ exitCode: 0, requested: false });
  });

  it("does not restart exit codes listed as final", async () => {
    const s = make("exit-with.js 2", { restart: { ...restartOpts(), policy: "always", noRestartExitCodes: [2] } });
    const failed = waitFor(s, "state", (next) => next === "failed");
    await s.start();
    await failed;
    expect(s.restarts).toBe(0);
  });

  it("fails with a coded error when the binary does not exist", async () => {
    const s = new Superviser(
      {
        name: "missing",
        launch: { command: "/nonexistent/nodeos", args: [] },
        terminate: { termRetryInterval: 1000, killAfter: 1000 },
        restart: restartOpts(),
        maxLineLength: 1024,
        queueLines: 10,
        keepLastLines: 10,
      },
      { logger: quietLogger() },
    );
    await expect(s.start()).rejects.toMatchObject({ code: "SUP_ERR_SPAWN" });
    expect(s.state).toBe("failed");
  });
});

describe("Superviser lines", () => {
  it("reads every line written before the child exited, including a last one without newline", async () => {
    let count = 0;
    let last = "";
    let lastNumbered = -1;
    let ordered = true;
    const counter: LogPlugin = {
      name: "counter",
      accepts: (line) => line.stream === "stdout",
      handle(line: LogLine) {
        count++;
        last = line.text;
        if (line.text.startsWith("line ")) {
          const n = Number(line.text.slice(5, 14));
          if (n !== lastNumbered + 1) ordered = false;
          lastNumbered = n;
        }
      },
    };
    const s = make("prints-mib.js 16", {}, { plugins: [counter] });
    const exited = waitFor(s, "exit");
    await s.start();
    await exited;
    const lines = Math.ceil((16 * 1024 * 1024) / 64);
    expect(count).toBe(lines + 1);
    expect(ordered).toBe(true);
    expect(lastNumbered).toBe(lines - 1);
    expect(last).toBe("last line without newline");
    expect(s.lineStats.lines.stdout).toBe(lines + 1);
    expect(s.lineStats.bytes.stdout).toBe(lines * 64 + "last line without newline".length);
    expect(s.lineStats.lines.stderr).toBe(1);
  });

  it("cuts a 70 MiB log line at 64 KiB, never holding it, counts it, and keeps going", async () => {
    const seen: { length: number; truncated: boolean }[] = [];
    const plugin: LogPlugin = {
      name: "lengths",
      handle: (line) => void seen.push({ length: line.text.length, truncated: line.truncated }),
    };
    const s = make("giant-line.js 70", {}, { plugins: [plugin] });
    const exited = waitFor<[{ exitCode: number }]>(s, "exit");
    await s.start();
    expect((await exited)[0].exitCode).toBe(0);
    expect(seen).toEqual([
      { length: 6, truncated: false },
      { length: 64 * 1024, truncated: true },
      { length: 5, truncated: false },
    ]);
    expect(s.lineStats.truncated.stdout).toBe(1);
  });

  it("cuts a 70 MiB deep-mind line at the default 64 MiB limit, counts it, and keeps going", async () => {
    const seen: { length: number; truncated: boolean; head: string }[] = [];
    const plugin: LogPlugin = {
      name: "lengths",
      handle: (line) => void seen.push({ length: line.text.length, truncated: line.truncated, head: line.text.slice(0, 6) }),
    };
    const s = make("giant-line.js 70 DMLOG", {}, { plugins: [plugin] });
    const registry = new Registry();
    registerSuperviserMetrics(registry, s);
    const exited = waitFor<[{ exitCode: number }]>(s, "exit");
    await s.start();
    expect((await exited)[0].exitCode).toBe(0);
    expect(seen.map((l) => l.head)).toEqual(["before", "DMLOG ", "after"]);
    expect(seen[1]).toMatchObject({ length: 64 * 1024 * 1024, truncated: true });
    expect(s.lineStats.truncated.stdout).toBe(1);
    expect(await registry.metrics()).toContain('manageos_node_lines_truncated_total{stream="stdout"} 1');
    expect(s.lastLines().at(-1)).toBe("after");
  });

  it("pauses only stdout for a stuck non-lossy plugin: the child's blocking stderr writes go on", async () => {
    let stderrLines = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const s = make(
      "stdout-then-stderr.js 100 8",
      { queueLines: 10 },
      {
        plugins: [
          { name: "stuck", accepts: (line) => line.stream === "stdout", handle: () => released },
          {
            name: "stderr-count",
            accepts: (line) => line.stream === "stderr",
            handle: (line) => {
              stderrLines++;
              if (line.text.startsWith("wrote ")) release();
            },
          },
        ],
      },
    );
    const exited = waitFor<[{ exitCode: number }]>(s, "exit");
    await s.start();
    // 8 MiB on stderr is far past a pipe's buffer: the child finishes only if stderr kept being read.
    expect((await exited)[0].exitCode).toBe(0);
    expect(stderrLines).toBe(Math.ceil((8 * 1024 * 1024) / 114) + 1);
    expect(s.droppedLines().filter((d) => d.count > 0)).toEqual([]);
  });

  it("holds the child back for a slow non-lossy plugin and loses nothing", async () => {
    let count = 0;
    let maxQueued = 0;
    let maxLag = 0;
    const s = make(
      "prints-mib.js 2",
      { queueLines: 50 },
      {
        plugins: [
          {
            name: "slow",
            accepts: (line) => line.stream === "stdout",
            async handle() {
              count++;
              if (count % 500 === 0) await new Promise((r) => setTimeout(r, 5));
              else await Promise.resolve();
              maxQueued = Math.max(maxQueued, s.pluginStats()[1]?.queued ?? 0);
              maxLag = Math.max(maxLag, s.pluginStats()[1]?.lagSeconds ?? 0);
            },
          },
        ],
      },
    );
    const exited = waitFor(s, "exit");
    await s.start();
    await exited;
    expect(count).toBe(Math.ceil((2 * 1024 * 1024) / 64) + 1);
    // Bounded, far below the 32k lines written: the capacity plus the chunk being split, plus what
    // still sat in the pipe when the child exited (execa resumes the pipes at exit).
    expect(maxQueued).toBeLessThan(50 + 4 * 1024);
    expect(s.pluginStats()[1]?.dropped).toBe(0);
    // Lines waited behind the 5 ms stalls: the lag was measured.
    expect(maxLag).toBeGreaterThan(0.001);
  });

  it("lets a slow lossy plugin lose lines, counted, without holding the child back", async () => {
    let handled = 0;
    const s = make(
      "prints-mib.js 2",
      { queueLines: 20 },
      {
        plugins: [
          {
            name: "lossy",
            lossy: true,
            accepts: (line) => line.stream === "stdout",
            async handle() {
              handled++;
              await new Promise((r) => setTimeout(r, 1));
            },
          },
        ],
      },
    );
    const registry = new Registry();
    registerSuperviserMetrics(registry, s);
    const exited = waitFor(s, "exit");
    await s.start();
    await exited;
    const total = Math.ceil((2 * 1024 * 1024) / 64) + 1;
    const dropped = s.pluginStats()[1]?.dropped ?? 0;
    expect(dropped).toBeGreaterThan(0);
    expect(handled + dropped).toBe(total);
    expect(await registry.metrics()).toContain(
      `manageos_node_lines_dropped_total{plugin="lossy",stream="stdout",reason="queue-full"} ${dropped}`,
    );
  });
});

function restartOpts() {
  return { policy: "never" as const, backoffBase: 100, backoffCap: 400, resetAfter: 60_000, crashLoopThreshold: 3 };
}
