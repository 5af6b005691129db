// nodeos logs through manageos' line pipeline (splitter, level mapping to pino, block-line parsing,
// dirty detection, keep-last-lines) versus bare line splitting with node:readline of the same child's
// output, in the same run; plus this process's peak RSS while the pipeline runs.
// Goals: at least 0.5x the baseline's lines/s, RSS under 150 MB.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { cleanup, median, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const { runLinePipeline } = await import(join(root, "packages/superviser/dist/index.js"));
const MIB = Number(process.env.BENCH_MIB ?? "128");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");

// nodeos-format output on disk, so that the child (cat) is never the bottleneck: stderr carries fc log
// lines (mostly Received block, in the leap layout), stdout DMLOG lines.
async function generate(dir) {
  const err = createWriteStream(join(dir, "stderr.log"));
  const out = createWriteStream(join(dir, "stdout.log"));
  let written = 0;
  let num = 1;
  while (written < MIB * 1024 * 1024) {
    const t = new Date(Date.UTC(2023, 5, 1, 12) + num * 500).toISOString().slice(0, 23);
    const e = `info  ${t} nodeos    producer_plugin.cpp:741       on_incoming_block    ] Received block 5e1a9d0a2f0b3c4d... #${num} @ ${t} signed by bp.a [trxs: ${num % 7}, lib: ${Math.max(0, num - 330)}, confirmed: 0, net: 120, cpu: 100, elapsed: 50, time: 120, latency: 12 ms]\n`;
    const o = `DMLOG START_BLOCK ${num}\nDMLOG APPLIED_TRANSACTION ${num} ${"ab".repeat(200)}\nDMLOG ACCEPTED_BLOCK ${num} ${"cd".repeat(300)}\n`;
    const a = err.write(e);
    const b = out.write(o);
    if (!a) await new Promise((r) => err.once("drain", r));
    if (!b) await new Promise((r) => out.once("drain", r));
    written += e.length + o.length;
    num++;
  }
  await Promise.all([new Promise((r) => err.end(r)), new Promise((r) => out.end(r))]);
  return written;
}

const catBoth = (dir) => ["sh", ["-c", `cat '${join(dir, "stderr.log")}' >&2 & cat '${join(dir, "stdout.log")}'; wait`]];

// The baseline: node:readline on both pipes, counting lines.
async function readlineBaseline(dir) {
  const [command, args] = catBoth(dir);
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let lines = 0;
  let bytes = 0;
  const count = (stream) => {
    stream.on("data", (c) => (bytes += c.length));
    const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    rl.on("line", () => lines++);
    return new Promise((r) => rl.on("close", r));
  };
  await Promise.all([count(child.stdout), count(child.stderr), new Promise((r) => child.on("exit", r))]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { lines, bytes, seconds, linesPerSecond: lines / seconds, bytesPerSecond: bytes / seconds };
}

async function pipelineRun(dir) {
  const [command, args] = catBoth(dir);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await runLinePipeline({ command, args });
    return { ...result, peakRss: peak };
  } finally {
    clearInterval(sampler);
  }
}

try {
  const dir = await tempDir("manageos-bench-pipeline-");
  const bytes = await generate(dir);
  const base = [];
  const full = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await readlineBaseline(dir));
    full.push(await pipelineRun(dir));
  }
  const b = { lps: median(base.map((r) => r.linesPerSecond)), bps: median(base.map((r) => r.bytesPerSecond)), lines: base[0].lines };
  const p = { lps: median(full.map((r) => r.linesPerSecond)), bps: median(full.map((r) => r.bytesPerSecond)), lines: full[0].lines };
  const rss = Math.max(...full.map((r) => r.peakRss)) / 1024 / 1024;
  console.log(`\nline pipeline benchmark: ${(bytes / 1024 / 1024).toFixed(0)} MiB of nodeos-format output (${p.lines} lines), median of ${ROUNDS} interleaved rounds\n`);
  console.log(
    table(
      ["reader", "lines/s", "MB/s", "x baseline", "peak RSS MB"],
      [
        ["node:readline (baseline)", b.lps.toFixed(0), (b.bps / 1e6).toFixed(1), "1.00", "-"],
        ["manageos pipeline + nodeos plugins", p.lps.toFixed(0), (p.bps / 1e6).toFixed(1), (p.lps / b.lps).toFixed(2), rss.toFixed(0)],
      ],
    ),
  );
  if (p.lines !== b.lines) console.log(`\nline counts differ: pipeline ${p.lines}, baseline ${b.lines}`);
  const ratio = p.lps / b.lps;
  console.log(`\nthroughput ${ratio.toFixed(2)}x baseline (goal >= 0.50): ${ratio >= 0.5 ? "met" : "NOT met"}; peak RSS ${rss.toFixed(0)} MB (goal < 150): ${rss < 150 ? "met" : "NOT met"}`);
} finally {
  await cleanup();
}
