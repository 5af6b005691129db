// Helpers shared by the benchmarks: free ports, child processes that are always stopped, tables.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children = new Set();
const dirs = new Set();

/** A port free on 127.0.0.1 right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A temp dir removed by cleanup(). */
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** Starts a process that cleanup() stops; `ready` resolves when `readyLine` appears on stdout or stderr. */
export function start(command, args, { env = process.env, readyLine } = {}) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let seen = "";
  const ready = new Promise((resolve, reject) => {
    if (!readyLine) return resolve();
    const onData = (chunk) => {
      seen = (seen + chunk.toString()).slice(-8192);
      if (readyLine.test(seen)) resolve(seen);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${command} exited ${code} before it was ready:\n${seen}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.on("exit", () => children.delete(child));
  return { child, ready, exited };
}

/** Runs a command to completion: its exit code, stdout and stderr, and its wall time from spawn to exit. */
export function runCaptured(command, args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
  });
}

/** Runs a command to completion and returns its stdout; rejects with its output when it exits non-zero. */
export async function runToEnd(command, args) {
  const { code, out, err } = await runCaptured(command, args);
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${err || out}`);
  return out;
}

/** Stops every started process (TERM, then KILL after 5 s) and removes temp dirs. */
export async function cleanup() {
  await Promise.all(
    [...children].map(async (child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
  await Promise.all([...dirs].map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Prints rows as an aligned Markdown table. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(cells[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux).
const USER_HZ = 100;

/** CPU seconds (user and system) the processes `pids` used so far, and their children's too with `children`; from /proc. */
export async function cpuSeconds(pids, children = false) {
  let ticks = 0;
  const seen = new Set();
  const visit = async (pid) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) return;
    // After the command in parentheses: state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
    if (!children) return;
    for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
      const list = await readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
      for (const child of list.split(" ").filter(Boolean)) await visit(Number(child));
    }
  };
  for (const pid of pids) await visit(pid);
  return ticks / USER_HZ;
}
