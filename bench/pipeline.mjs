// nodeos output through manageos' line pipeline and the real logger (pino on the bounded LogOutput, as the daemon
// configures it), written to a real file and to a slow pipe, versus node:readline reading the same bytes in the same run.
// Streams: fc lines only (each one logged), DMLOG only, and mixed (3 DMLOG lines to 1 fc line, as a deep-mind node).
// The child (cat of a file) writes faster than any logger: as shipped, the level mapping drops and counts the stderr
// lines read while the reader is behind it; the "every line logged" row turns that off and measures the logger.
// Then the 1 GiB fc burst through the real daemon: its peak RSS, lines in its log + lines dropped == lines written, and
// how long it takes to exit on SIGTERM; its baseline is the simulator writing the same burst to node:readline.
// A reference row for fc and mixed: node:readline plus JSON.stringify of each line written to a file, the least a
// logger of every line does. Goals: pipeline >= 0.5x node:readline for fc-only and mixed; daemon RSS < 200 MB, every line logged or counted,
// SIGTERM exit < 5 s.
import { spawn } from "node:child_process";
import { createWriteStream, openSync, closeSync, readFileSync, existsSync, createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { cleanup, median, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const MIB = Number(process.env.BENCH_MIB ?? "128");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
// BENCH_BURST=0 leaves the daemon burst out; BENCH_KINDS=fc,mixed runs only those stream kinds.
const BURST = process.env.BENCH_BURST ?? "1GiB";
const KINDS = (process.env.BENCH_KINDS ?? "fc,dmlog,mixed").split(",").map((kind) => kind.trim());
// How fast the slow pipe's reader takes the log output, bytes per second.
const SLOW_PIPE_RATE = Number(process.env.BENCH_SLOW_PIPE_MBPS ?? "20") * 1e6;
// As deploy/Dockerfile runs the daemon.
const NODE_FLAGS = ["--max-semi-space-size=8"];

// In a child process whose stdout is the file or the slow pipe: the pipeline with the daemon's logger, results on fd 3.
// `everyLine`: the level mapping logs every line even while the reader is behind the node (holding the node back),
// which measures the logger itself; as shipped it drops (and counts) the lines it has no time for.
async function worker(dir, kind, everyLine) {
  const { createLogger, flushLogger } = await import(join(root, "packages/core/dist/index.js"));
  const { runLinePipeline } = await import(join(root, "packages/superviser/dist/index.js"));
  const logger = createLogger({ level: "info", format: "json", base: { app: "eos" } });
  const [command, args] = catBoth(dir, kind);
  const cpu = process.cpuUsage();
  const result = await runLinePipeline({ command, args, logger, dropBacklogged: !everyLine });
  const flushed = await flushLogger(logger, 10_000);
  const used = process.cpuUsage(cpu);
  result.cpuNsPerLine = ((used.user + used.system) * 1000) / result.lines;
  const out = createWriteStream("", { fd: 3 });
  out.end(JSON.stringify({ ...result, flushed, peakRssMb: peakRssMb("self") }));
  await new Promise((r) => out.on("finish", r));
}

// The reference for what logging every line costs at least: node:readline, and for each line not DMLOG one JSON line
// (a fixed head, JSON.stringify of the line) written synchronously to stdout in 64 KiB batches, as a file is written.
async function floorWorker(dir, kind) {
  const { writeSync } = await import("node:fs");
  let pending = "";
  const head = '{"level":"info","time":"2023-06-01T12:00:00.000Z","app":"eos","module":"nodeos","stream":"stderr","msg":';
  const result = await readlineBaseline(dir, kind, (line) => {
    if (line.startsWith("DMLOG ")) return;
    pending += `${head + JSON.stringify(line)}}\n`;
    if (pending.length >= 65536) {
      writeSync(1, pending);
      pending = "";
    }
  });
  if (pending.length > 0) writeSync(1, pending);
  const out = createWriteStream("", { fd: 3 });
  out.end(JSON.stringify({ ...result, peakRssMb: peakRssMb("self") }));
  await new Promise((r) => out.on("finish", r));
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const fcLine = (num, t) =>
  `info  ${t} net-0     net_plugin.cpp:3456           operator()           ] connection to peer 10.1.${num % 250}.7:9876 closed: end of file, ${num} bytes left; reconnecting in 5 s\n`;
const dmlogLines = (num) =>
  `DMLOG START_BLOCK ${num}\nDMLOG APPLIED_TRANSACTION ${num} ${"ab".repeat(200)}\nDMLOG ACCEPTED_BLOCK ${num} ${"cd".repeat(300)}\n`;

// nodeos-format output on disk, so that the child (cat) is never the bottleneck: fc lines for stderr, DMLOG for stdout.
async function generate(dir) {
  const files = {
    fc: createWriteStream(join(dir, "fc.log")),
    dmlog: createWriteStream(join(dir, "dmlog.log")),
    mixfc: createWriteStream(join(dir, "mixfc.log")),
    mixdm: createWriteStream(join(dir, "mixdm.log")),
  };
  const sizes = { fc: 0, dmlog: 0, mix: 0 };
  const put = async (name, text) => {
    if (!files[name].write(text)) await new Promise((r) => files[name].once("drain", r));
  };
  for (let num = 1; sizes.fc < MIB * 1024 * 1024 || sizes.dmlog < MIB * 1024 * 1024 || sizes.mix < MIB * 1024 * 1024; num++) {
    const t = new Date(Date.UTC(2023, 5, 1, 12) + num * 500).toISOString().slice(0, 23);
    const e = fcLine(num, t);
    const o = dmlogLines(num);
    if (sizes.fc < MIB * 1024 * 1024) {
      await put("fc", e);
      sizes.fc += e.length;
    }
    if (sizes.dmlog < MIB * 1024 * 1024) {
      await put("dmlog", o);
      sizes.dmlog += o.length;
    }
    if (sizes.mix < MIB * 1024 * 1024) {
      await put("mixfc", e);
      await put("mixdm", o);
      sizes.mix += e.length + o.length;
    }
  }
  await Promise.all(Object.values(files).map((f) => new Promise((r) => f.end(r))));
}

// The child both readers read: fc lines on stderr and DMLOG lines on stdout, as nodeos prints them.
function catBoth(dir, kind) {
  const f = (name) => `'${join(dir, name)}'`;
  if (kind === "fc") return ["sh", ["-c", `cat ${f("fc.log")} >&2`]];
  if (kind === "dmlog") return ["sh", ["-c", `cat ${f("dmlog.log")}`]];
  return ["sh", ["-c", `cat ${f("mixfc.log")} >&2 & cat ${f("mixdm.log")}; wait`]];
}

// The baseline: node:readline on both pipes, counting lines (and handing each to `onLine`, for the reference).
async function readlineBaseline(dir, kind, onLine) {
  const [command, args] = catBoth(dir, kind);
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let lines = 0;
  const count = (stream) => {
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on(
      "line",
      onLine === undefined
        ? () => lines++
        : (line) => {
            lines++;
            onLine(line);
          },
    );
    return new Promise((r) => rl.on("close", r));
  };
  await Promise.all([count(child.stdout), count(child.stderr), new Promise((r) => child.on("exit", r))]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { lines, seconds, linesPerSecond: lines / seconds, cpuNsPerLine: ((used.user + used.system) * 1000) / lines };
}

// Reads a pipe at most `rate` bytes per second, counting the log's node lines; resolves at its end.
function slowReader(stream, rate, count) {
  return new Promise((resolve) => {
    const started = Date.now();
    let taken = 0;
    stream.on("data", (chunk) => {
      taken += chunk.length;
      count(chunk);
      const wait = started + (taken / rate) * 1000 - Date.now();
      if (wait > 0) {
        stream.pause();
        setTimeout(() => stream.resume(), wait);
      }
    });
    stream.on("end", resolve);
  });
}

// Counts lines of the log holding `needle` (default: nodeos' lines), across chunk boundaries.
function nodeLineCounter(text = '"module":"nodeos"') {
  const needle = Buffer.from(text);
  let carry = Buffer.alloc(0);
  const counter = (chunk) => {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let at = buf.indexOf(needle);
    while (at !== -1) {
      counter.n++;
      at = buf.indexOf(needle, at + needle.length);
    }
    carry = Buffer.from(buf.subarray(Math.max(0, buf.length - needle.length + 1)));
  };
  counter.n = 0;
  return counter;
}

// One pipeline run (or the reference, `--floor`) in a worker whose stdout is a file or the slow pipe.
async function pipelineRun(dir, kind, to, mode = "--worker") {
  const outFile = join(dir, `out-${kind}.log`);
  const fd = to === "file" ? openSync(outFile, "w") : "pipe";
  const child = spawn(process.execPath, [...NODE_FLAGS, new URL(import.meta.url).pathname, mode, dir, kind], {
    stdio: ["ignore", fd, "inherit", "pipe"],
  });
  if (typeof fd === "number") closeSync(fd);
  const counter = nodeLineCounter();
  const reading = to === "pipe" ? slowReader(child.stdout, SLOW_PIPE_RATE, counter) : Promise.resolve();
  let report = "";
  child.stdio[3].on("data", (c) => (report += c));
  await Promise.all([reading, new Promise((r) => child.on("exit", r))]);
  if (to === "file") await new Promise((r) => createReadStream(outFile).on("data", counter).on("end", r));
  return { ...JSON.parse(report), logged: counter.n };
}

// The simulator's burst read by node:readline: how long the simulator takes to write it when nothing holds it back.
async function simBurstBaseline(dir) {
  const { NODEOS_SIM_BIN } = await import(join(root, "packages/testkit/dist/index.js"));
  const done = join(dir, "sim-done.json");
  const env = { ...process.env, NODEOS_SIM_BURST_BYTES: BURST, NODEOS_SIM_BURST_DONE_FILE: done, NODEOS_SIM_BLOCK_INTERVAL_MS: "500" };
  const child = spawn(
    process.execPath,
    [NODEOS_SIM_BIN, "--data-dir", join(dir, "sim-data"), "--config-dir", join(dir, "sim-config"), "--http-server-address", "127.0.0.1:0"],
    {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let lines = 0;
  for (const s of [child.stdout, child.stderr])
    createInterface({ input: s, crlfDelay: Number.POSITIVE_INFINITY }).on("line", () => lines++);
  const report = await waitForFile(done);
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  return { seconds: report.ms / 1000, written: report.stderr.lines, lines };
}

// The real daemon with the simulator bursting; its stdout a slow pipe (or a file); SIGTERM once the burst is written.
async function daemonBurst(dir, to) {
  const { NODEOS_SIM_BIN, appBin } = await import(join(root, "packages/testkit/dist/index.js"));
  const d = join(dir, `daemon-${to}`);
  const done = join(d, "done.json");
  const config = {
    stateDir: join(d, "state"),
    log: { format: "json", level: "info" },
    api: { listen: "127.0.0.1:0" },
    proxy: { enabled: false },
    storage: { url: `file://${join(d, "storage")}` },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(d, "data"),
      configDir: join(d, "config"),
      httpAddress: "127.0.0.1:0",
      env: { NODEOS_SIM_BURST_BYTES: BURST, NODEOS_SIM_BURST_DONE_FILE: done },
    },
    superviser: { termRetryInterval: "2s", killAfter: "20s" },
  };
  const { mkdir } = await import("node:fs/promises");
  await mkdir(d, { recursive: true });
  await writeFile(join(d, "manager.yaml"), JSON.stringify(config));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MANAGEOS_")));
  const outFile = join(d, "out.log");
  const fd = to === "file" ? openSync(outFile, "w") : "pipe";
  const child = spawn(process.execPath, [...NODE_FLAGS, appBin("eos"), "run", "--config", join(d, "manager.yaml")], {
    env,
    stdio: ["ignore", fd, "inherit"],
  });
  if (typeof fd === "number") closeSync(fd);
  const counter = nodeLineCounter("burst stderr line ");
  const reading = to === "pipe" ? slowReader(child.stdout, SLOW_PIPE_RATE, counter) : Promise.resolve();
  const report = await waitForFile(done);
  const endpoints = JSON.parse(readFileSync(join(d, "state", "endpoints.json"), "utf8"));
  const dropped = await droppedTotal(endpoints.api);
  const rss = peakRssMb(child.pid);
  const signalled = Date.now();
  child.kill("SIGTERM");
  const code = await new Promise((r) => child.on("exit", (c) => r(c)));
  const exitMs = Date.now() - signalled;
  await reading;
  if (to === "file") await new Promise((r) => createReadStream(outFile).on("data", counter).on("end", r));
  return { written: report.stderr.lines, burstSeconds: report.ms / 1000, logged: counter.n, dropped, rss, exitMs, code };
}

// The level mapping's dropped lines, from the daemon's /metrics.
async function droppedTotal(api) {
  const text = await (await fetch(`${api}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("manageos_node_lines_dropped_total{") && line.includes('plugin="level-mapping"'))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function waitForFile(file) {
  for (;;) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, "utf8"));
      } catch {
        // being written
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const load = readFileSync("/proc/loadavg", "utf8").trim();
  try {
    const dir = await tempDir("manageos-bench-pipeline-");
    await generate(dir);
    const rows = [];
    const goals = [];
    for (const kind of KINDS) {
      const base = [];
      const file = [];
      const everyLine = [];
      const pipe = [];
      const floor = [];
      for (let round = 0; round < ROUNDS; round++) {
        base.push(await readlineBaseline(dir, kind));
        if (kind !== "dmlog") floor.push(await pipelineRun(dir, kind, "file", "--floor"));
        file.push(await pipelineRun(dir, kind, "file"));
        if (kind !== "dmlog") everyLine.push(await pipelineRun(dir, kind, "file", "--worker-every-line"));
        pipe.push(await pipelineRun(dir, kind, "pipe"));
      }
      const b = median(base.map((r) => r.linesPerSecond));
      const bCpu = median(base.map((r) => r.cpuNsPerLine));
      rows.push([`${kind}: node:readline (baseline)`, b.toFixed(0), "1.00", bCpu.toFixed(0), "1.00", "-", "-", "-"]);
      if (floor.length > 0) {
        const lps = median(floor.map((r) => r.linesPerSecond));
        const cpu = median(floor.map((r) => r.cpuNsPerLine));
        const rss = Math.max(...floor.map((r) => r.peakRssMb));
        rows.push([
          `${kind}: node:readline + JSON.stringify each -> file (reference)`,
          lps.toFixed(0),
          (lps / b).toFixed(2),
          cpu.toFixed(0),
          (bCpu / cpu).toFixed(2),
          rss.toFixed(0),
          `${floor.at(-1).logged}`,
          "-",
        ]);
      }
      for (const [to, runs] of [
        ["file", file],
        ["file, every line logged (holds the node back)", everyLine],
        ["slow pipe", pipe],
      ]) {
        if (runs.length === 0) continue;
        const lps = median(runs.map((r) => r.linesPerSecond));
        const cpu = median(runs.map((r) => r.cpuNsPerLine));
        const rss = Math.max(...runs.map((r) => r.peakRssMb));
        const last = runs.at(-1);
        rows.push([
          `${kind}: pipeline + logger -> ${to}`,
          lps.toFixed(0),
          (lps / b).toFixed(2),
          cpu.toFixed(0),
          (bCpu / cpu).toFixed(2),
          rss.toFixed(0),
          `${last.logged}`,
          `${last.dropped}`,
        ]);
        if (to === "file" && kind !== "dmlog") {
          const logged = `${((100 * last.logged) / last.lines).toFixed(1)}% of the lines logged`;
          goals.push([
            `${kind} -> file: the node's lines taken >= 0.50x node:readline`,
            lps / b >= 0.5,
            `${(lps / b).toFixed(2)} (${logged})`,
          ]);
        }
        if (to.startsWith("file, every line") && kind !== "dmlog")
          goals.push([`${kind} -> file, every line logged >= 0.50x node:readline`, lps / b >= 0.5, (lps / b).toFixed(2)]);
        if (runs.some((r) => r.lines !== base[0].lines))
          console.log(`line counts differ (${kind} -> ${to}): baseline ${base[0].lines}, pipeline ${runs.map((r) => r.lines)}`);
      }
    }
    console.log(
      `\nline pipeline through the real logger: ${MIB} MiB per stream kind, median of ${ROUNDS} interleaved rounds; slow pipe read at ${SLOW_PIPE_RATE / 1e6} MB/s; load average ${load}\n`,
    );
    console.log(
      table(
        [
          "reader (baseline: node:readline of the same bytes, same run)",
          "lines/s",
          "x baseline",
          "CPU ns/line",
          "x baseline (CPU)",
          "peak RSS MB",
          "lines in log",
          "dropped",
        ],
        rows,
      ),
    );

    if (BURST === "0") {
      for (const [what, met, value] of goals) console.log(`${what}: ${value} ${met ? "met" : "NOT met"}`);
      return;
    }
    const sim = await simBurstBaseline(dir);
    const burstRows = [
      [`${BURST} fc burst: nodeos-sim -> node:readline (baseline)`, sim.seconds.toFixed(1), "1.00", "-", `${sim.written}`, "-", "-", "-"],
    ];
    for (const to of ["pipe", "file"]) {
      const r = await daemonBurst(dir, to);
      const accounted = r.logged + r.dropped === r.written;
      burstRows.push([
        `${BURST} fc burst: nodeos-sim -> manageos-eos -> ${to === "pipe" ? "slow pipe" : "file"}`,
        r.burstSeconds.toFixed(1),
        (sim.seconds / r.burstSeconds).toFixed(2),
        r.rss.toFixed(0),
        `${r.written}`,
        `${r.logged} + ${r.dropped}${accounted ? " (all)" : ` (${r.written - r.logged - r.dropped} missing)`}`,
        (r.exitMs / 1000).toFixed(2),
        `${r.code}`,
      ]);
      goals.push([`daemon (${to}) RSS < 200 MB`, r.rss < 200, r.rss.toFixed(0)]);
      goals.push([`daemon (${to}) lines in log + dropped == written`, accounted, `${r.logged}+${r.dropped} of ${r.written}`]);
      goals.push([`daemon (${to}) SIGTERM exit < 5 s`, r.exitMs < 5000, (r.exitMs / 1000).toFixed(2)]);
    }
    console.log(
      `\nthe daemon under a burst (simulator's write time; x baseline = how fast it could write compared with node:readline reading it)\n`,
    );
    console.log(
      table(
        [
          "run",
          "burst written in s",
          "x baseline",
          "daemon peak RSS MB",
          "lines written",
          "in log + dropped",
          "SIGTERM exit s",
          "exit code",
        ],
        burstRows,
      ),
    );
    console.log("");
    for (const [what, met, value] of goals) console.log(`${what}: ${value} ${met ? "met" : "NOT met"}`);
    console.log(`load average after: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  } finally {
    await cleanup();
  }
}

if (process.argv[2] === "--worker") await worker(process.argv[3], process.argv[4], false);
else if (process.argv[2] === "--worker-every-line") await worker(process.argv[3], process.argv[4], true);
else if (process.argv[2] === "--floor") await floorWorker(process.argv[3], process.argv[4]);
else await main();
