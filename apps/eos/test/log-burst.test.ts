import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { appBin, isAlive, NODEOS_SIM_BIN, tempDir } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "./support.js";

// A burst big enough to outrun a stdout nobody reads (the log output holds 8 MiB before it drops), small enough for CI.
const BURST_LINES = 150_000;

// As deploy/Dockerfile runs the daemon: V8's young generation capped (it grows to 64 MiB under a burst otherwise).
const DAEMON_NODE_FLAGS = ["--max-semi-space-size=8"];

interface Daemon {
  child: ChildProcess;
  pid: number;
  api: string;
  dir: string;
  /** Every stdout line, once reading was resumed. */
  lines: string[];
  /** Starts reading stdout (it is not read until then: the daemon's log consumer is stuck). */
  resume(): void;
  exited: Promise<{ code: number | null; ms: number }>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.pid !== undefined && isAlive(child.pid)) process.kill(child.pid, "SIGKILL");
});

// The built eos daemon supervising nodeos-sim, its stdout a pipe this test does not read until resume().
async function startDaemon(nodeEnv: Record<string, string>): Promise<Daemon> {
  const dir = await tempDir("manageos-burst-");
  const config = {
    stateDir: join(dir, "state"),
    log: { format: "json", level: "info" },
    api: { listen: "127.0.0.1:0" },
    proxy: { enabled: false },
    storage: { url: `file://${join(dir, "storage")}` },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(dir, "data"),
      configDir: join(dir, "config"),
      httpAddress: "127.0.0.1:0",
      blockInterval: "50ms",
      pollInterval: "100ms",
      env: { NODEOS_SIM_BLOCK_INTERVAL_MS: "50", ...nodeEnv },
    },
    superviser: { termRetryInterval: "2s", killAfter: "20s" },
  };
  await writeFile(join(dir, "manager.yaml"), JSON.stringify(config));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MANAGEOS_")));
  const started = Date.now();
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, appBin("eos"), "run", "--config", join(dir, "manager.yaml")], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  running.push(child);
  const stdout = child.stdout as NonNullable<ChildProcess["stdout"]>;
  stdout.pause();
  let signalledAt = started;
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) =>
    child.once("exit", (code) => resolve({ code, ms: Date.now() - signalledAt })),
  );
  const origKill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => {
    signalledAt = Date.now();
    return origKill(signal);
  };
  const lines: string[] = [];
  const endpoints = await until("the daemon's endpoints", async () => {
    const e = JSON.parse(await readFile(join(dir, "state", "endpoints.json"), "utf8")) as { api: string; pid: number };
    return e.pid === child.pid ? e : undefined;
  });
  return {
    child,
    pid: child.pid as number,
    api: endpoints.api,
    dir,
    lines,
    resume: () => createInterface({ input: stdout, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (l) => lines.push(l)),
    exited,
  };
}

// Peak resident memory of a process (kernel's high-water mark), in MB.
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function burstDone(file: string): Promise<{ stderr?: { lines: number }; stdout?: { lines: number }; ms: number }> {
  return until("the simulator to finish writing its burst", async () => JSON.parse(await readFile(file, "utf8")), 120_000);
}

function parsed(lines: readonly string[]): Record<string, unknown>[] {
  return lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
}

// The dropped-lines counter of the level mapping on stderr for one reason, from the daemon's /metrics: the log output
// behind (its consumer stuck), or the reader behind the node (it writes faster than lines are logged).
async function droppedMetric(api: string, reason: "log-behind" | "reader-behind" = "log-behind"): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  const labels = ['plugin="level-mapping"', 'stream="stderr"', `reason="${reason}"`];
  const line = text.split("\n").find((l) => l.startsWith("manageos_node_lines_dropped_total{") && labels.every((p) => l.includes(p)));
  if (line === undefined) throw new Error(`no dropped-lines series for the level mapping on stderr, reason ${reason}`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}

// The daemon with the simulator set to print BURST_LINES lines on stderr at once, and the file it reports to when done.
async function stderrBurst(): Promise<{ d: Daemon; doneFile: string }> {
  const doneFile = join(await tempDir("manageos-burst-done-"), "done.json");
  const d = await startDaemon({
    NODEOS_SIM_BURST_LINES: String(BURST_LINES),
    NODEOS_SIM_BURST_STREAM: "stderr",
    NODEOS_SIM_BURST_DONE_FILE: doneFile,
  });
  return { d, doneFile };
}

// The burst's lines found in the daemon's log, each once.
function burstLinesLogged(records: readonly Record<string, unknown>[]): Set<unknown> {
  return new Set(records.filter((r) => r.module === "nodeos" && String(r.msg).includes("burst stderr line")).map((r) => r.msg));
}

describe("the node's output through the daemon's log", () => {
  it("a burst on stderr while nobody reads the daemon's stdout: the node never waits, memory stays bounded, every line is logged or counted", async () => {
    const { d, doneFile } = await stderrBurst();
    // The simulator wrote all of it although the daemon's log consumer reads nothing: stderr was never held up.
    const report = await burstDone(doneFile);
    expect(report.stderr?.lines).toBe(BURST_LINES);
    expect(await peakRssMb(d.pid)).toBeLessThan(200);
    const dropped = await droppedMetric(d.api);

    d.resume();
    await until("the episode's warn", async () => (d.lines.some((l) => l.includes("the log output could not keep up")) ? true : undefined));
    // The episode is over: nothing more is dropped.
    expect(await droppedMetric(d.api)).toBe(dropped);
    const readerBehind = await droppedMetric(d.api, "reader-behind");
    d.child.kill("SIGTERM");
    const exit = await d.exited;
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(5_000);

    const records = parsed(d.lines);
    const logged = burstLinesLogged(records);
    const warns = records.filter((r) => r.level === "warn" && String(r.msg).startsWith("the log output could not keep up"));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ module: "lines", dropped, stderr: dropped, stdout: 0 });
    expect(dropped).toBeGreaterThan(0);
    // Lines read while the daemon was behind the simulator (before its output fell behind) are counted apart.
    const readerWarns = records.filter((r) => r.level === "warn" && r.reason === "reader-behind");
    expect(readerWarns.reduce((sum, w) => sum + Number(w.dropped), 0)).toBe(readerBehind);
    expect(logged.size + dropped + readerBehind).toBe(BURST_LINES);
    expect(records.at(-1)).toMatchObject({ msg: "manageos stopped" });
  });

  it("a burst on stderr while the daemon's stdout is read: what the daemon cannot log as fast as the node writes is dropped and counted, the rest logged", async () => {
    const { d, doneFile } = await stderrBurst();
    d.resume();
    const report = await burstDone(doneFile);
    expect(report.stderr?.lines).toBe(BURST_LINES);
    d.child.kill("SIGTERM");
    const exit = await d.exited;
    expect(exit.code).toBe(0);
    const records = parsed(d.lines);
    const logged = burstLinesLogged(records);
    const warns = records.filter((r) => r.module === "lines" && r.level === "warn" && r.dropped !== undefined);
    const byReason = (reason: string) => warns.filter((w) => w.reason === reason).reduce((sum, w) => sum + Number(w.dropped), 0);
    // Every episode was reported by the time the daemon stopped (the last one when the node exited).
    expect(logged.size + byReason("log-behind") + byReason("reader-behind")).toBe(BURST_LINES);
    expect(warns.every((w) => w.reason === "log-behind" || w.reason === "reader-behind")).toBe(true);
    expect(logged.size).toBeGreaterThan(0);
    expect(records.at(-1)).toMatchObject({ msg: "manageos stopped" });
  });

  it("a SIGTERM during a burst while the daemon's stdout stays stuck: it exits within 5 s", async () => {
    const d = await startDaemon({ NODEOS_SIM_BURST_BYTES: "4GiB", NODEOS_SIM_BURST_STREAM: "stderr" });
    await until("lines dropped to be counted", async () => ((await droppedMetric(d.api)) > 10_000 ? true : undefined));
    expect(await peakRssMb(d.pid)).toBeLessThan(200);
    d.child.kill("SIGTERM");
    const exit = await d.exited;
    expect(exit.ms).toBeLessThan(5_000);
    expect(exit.code).toBe(0);
  });

  it("a 50 MiB line is cut, not held: the daemon's memory does not grow by it", async () => {
    const doneFile = join(await tempDir("manageos-burst-done-"), "done.json");
    const d = await startDaemon({
      NODEOS_SIM_BURST_LINES: "1",
      NODEOS_SIM_BURST_LINE_BYTES: String(50 * 1024 * 1024),
      NODEOS_SIM_BURST_DONE_FILE: doneFile,
    });
    d.resume();
    await burstDone(doneFile);
    const line = await until("the cut line in the log", async () =>
      parsed(d.lines).find((r) => String(r.msg).includes("burst stderr line 1")),
    );
    expect(line).toMatchObject({ module: "nodeos", truncated: true });
    expect(String(line.msg).length).toBe(64 * 1024);
    expect(await peakRssMb(d.pid)).toBeLessThan(200);
    d.child.kill("SIGTERM");
    expect((await d.exited).code).toBe(0);
  });
});
