// CLI start-up: wall time and peak RSS of the eos binary as shipped (node apps/eos/dist/index.js) for `--version`,
// `--help` and `status` (against a real daemon supervising nodeos-sim), each beside its baseline in the same run:
// `node -e 0` for the first two, `curl -s` of the endpoint `status` calls for the third. Goal: each command under
// 0.3 s wall time. Every run is a fresh process; rows are interleaved so that machine noise hits them alike.
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { cleanup, median, runCaptured, table } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const { startManageos } = await import(join(root, "packages/testkit/dist/index.js"));
const BIN = join(root, "apps/eos/dist/index.js");
const RUNS = Math.max(15, Number(process.env.BENCH_RUNS ?? "21"));
const WARMUP = 2;
const GOAL_SECONDS = 0.3;
// GNU time gives the peak RSS of a child; without it the RSS column is left empty.
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

// Runs a command once: its wall time from spawn to exit, its peak RSS in KiB (or undefined), and its output.
async function once(command, args) {
  const [file, argv] = TIME === undefined ? [command, args] : [TIME, ["-f", "\n@maxrss %M", command, ...args]];
  const { code, out, err, seconds } = await runCaptured(file, argv);
  const rss = /\n@maxrss (\d+)\s*$/.exec(err);
  const stderr = rss ? err.slice(0, rss.index) : err;
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr || out}`);
  return { seconds, rssKiB: rss ? Number(rss[1]) : undefined, out };
}

let daemon;
try {
  const loadBefore = loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
  daemon = await startManageos();
  const statusUrl = `${daemon.api}/v1/manageos/status`;
  // Each row checks its own output, so that a fast failure is never taken for a fast command.
  const rows = [
    { name: "node -e 0", command: process.execPath, args: ["-e", "0"], check: () => true },
    {
      name: "manageos-eos --version",
      command: process.execPath,
      args: [BIN, "--version"],
      baseline: "node -e 0",
      check: (out) => /^manageos-eos \S+\n$/.test(out),
    },
    {
      name: "manageos-eos --help",
      command: process.execPath,
      args: [BIN, "--help"],
      baseline: "node -e 0",
      check: (out) => out.startsWith("Usage: manageos-eos"),
    },
    {
      name: "curl -s /v1/manageos/status",
      command: "curl",
      args: ["-s", "-f", statusUrl],
      check: (out) => typeof JSON.parse(out).state === "string",
    },
    {
      name: "manageos-eos status",
      command: process.execPath,
      args: [BIN, "status", "--api", daemon.api],
      baseline: "curl -s /v1/manageos/status",
      check: (out) => out.startsWith("app:"),
    },
  ];
  const samples = new Map(rows.map((row) => [row.name, []]));
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const row of rows) {
      const run = await once(row.command, row.args);
      if (!row.check(run.out)) throw new Error(`${row.name}: unexpected output:\n${run.out}`);
      if (round >= WARMUP) samples.get(row.name).push(run);
    }
  }
  const summary = new Map(
    rows.map((row) => {
      const runs = samples.get(row.name);
      const rss = runs.every((r) => r.rssKiB !== undefined) ? Math.max(...runs.map((r) => r.rssKiB)) : undefined;
      return [row.name, { seconds: median(runs.map((r) => r.seconds)), rss }];
    }),
  );
  const ms = (seconds) => (seconds * 1000).toFixed(0);
  const lines = rows.map((row) => {
    const s = summary.get(row.name);
    const base = row.baseline === undefined ? undefined : summary.get(row.baseline);
    return [
      row.name,
      ms(s.seconds),
      s.rss === undefined ? "-" : (s.rss / 1024).toFixed(0),
      row.baseline ?? "(baseline)",
      base === undefined ? "-" : `${(s.seconds / base.seconds).toFixed(1)}x`,
      row.baseline === undefined ? "-" : s.seconds < GOAL_SECONDS ? "met" : "NOT met",
    ];
  });
  console.log(
    `\nCLI start-up benchmark: ${BIN.slice(root.length)} under node ${process.version}, median of ${RUNS} interleaved runs (after ${WARMUP} warm-up)`,
  );
  console.log(
    `wall time from spawn to exit${TIME ? "; peak RSS (max over the runs) from /usr/bin/time" : "; no /usr/bin/time, so no RSS"}`,
  );
  console.log(
    `load average (1, 5, 15 min): ${loadBefore} before, ${loadavg()
      .map((value) => value.toFixed(2))
      .join(" ")} after\n`,
  );
  console.log(table(["command", "wall ms", "peak RSS MiB", "baseline", "x baseline", `goal < ${GOAL_SECONDS * 1000} ms`], lines));
  const missed = rows.filter((row) => row.baseline !== undefined && summary.get(row.name).seconds >= GOAL_SECONDS);
  console.log(
    `\n--version, --help and status under ${GOAL_SECONDS} s: ${missed.length === 0 ? "met" : `NOT met (${missed.map((row) => row.name).join(", ")})`}`,
  );
} finally {
  await daemon?.stop();
  await cleanup();
}
