import { execFile, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, isAlive, readDirtyFlag, SimChild, stateFilePath, tempDir } from "@manageos/testkit";
import { describe, expect, it, onTestFinished } from "vitest";
import { until } from "./support.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../..", import.meta.url));

// Processes whose command line names `dir`: the demo's simulators and manageos all take paths inside it.
function pidsUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

// The lines the demo prints under "Try, in another terminal", as one shell session would run them.
function tryLines(stdout: readonly string[]): string[] {
  const start = stdout.findIndex((line) => line.startsWith("Try, in another terminal"));
  const lines: string[] = [];
  for (const line of stdout.slice(start + 1)) {
    if (line.trim() === "") break;
    lines.push(line.trim());
  }
  return lines;
}

describe("npm start", () => {
  it("runs the demo, whose printed commands all work, and Ctrl-C stops nodeos cleanly", async () => {
    const dir = await tempDir("manageos-demo-");
    const [api, proxy, node] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEMO_DIR: dir,
      DEMO_API_PORT: String(api),
      DEMO_PROXY_PORT: String(proxy),
      DEMO_NODE_PORT: String(node),
    };
    delete env.MANAGEOS_API;
    delete env.MANAGEOS_TOKEN;
    // A process group of its own, as a terminal's foreground job: Ctrl-C signals the whole group.
    const demo = new SimChild(spawn("npm", ["start"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true }), "npm start");
    onTestFinished(() => {
      for (const pid of pidsUsing(dir)) process.kill(pid, "SIGKILL");
      if (demo.exitResult === undefined) process.kill(-demo.pid, "SIGKILL");
    });

    await demo.waitForLine(/^Ctrl-C stops manageos/, { stream: "stdout", timeoutMs: 60_000 });
    const lines = tryLines(demo.stdoutLines);
    expect(lines[0]).toBe(`export MANAGEOS_API=http://127.0.0.1:${api}`);
    expect(lines.some((line) => line.includes(" backup "))).toBe(true);
    await until("the proxy to open", async () => ((await fetch(`http://127.0.0.1:${proxy}/v1/chain/get_info`)).ok ? true : undefined));

    const session = await run("bash", ["-e", "-c", lines.join("\n")], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 });
    expect(session.stdout).toMatch(/^proxy: +open$/m);
    expect(session.stdout).toMatch(/"chain_id":"[0-9a-f]{64}"/);
    expect(session.stdout).toMatch(/backup +succeeded/);
    // The backups list, as a table: the new backup's name, then its columns.
    expect(session.stdout).toMatch(/^\d{10}-\d{8}T\d{6}Z-manual\s/m);
    expect(session.stdout).toMatch(/safely_resume_production +succeeded/);

    const status = (await (await fetch(`http://127.0.0.1:${api}/v1/manageos/status`)).json()) as { node: { pid: number } };
    const nodePid = status.node.pid;
    expect(isAlive(nodePid)).toBe(true);
    // Ctrl-C: npm and its shell give up on SIGINT at once; the demo forwards one signal to manageos, which stops
    // nodeos with its TERM policy, then the demo stops blocksigner-sim.
    process.kill(-demo.pid, "SIGINT");
    await demo.exited;
    await until("every demo process to be gone", async () => (pidsUsing(dir).length === 0 ? true : undefined), 30_000);
    const stopped = await until(
      "manageos' last log line",
      async () => {
        const line = demo.stdoutLines.find((l) => l.includes('"msg":"manageos stopped"'));
        return line === undefined ? undefined : (JSON.parse(line) as { killed: boolean });
      },
      5_000,
    );
    expect(stopped).toMatchObject({ killed: false });
    expect(demo.stdoutLines.join("\n")).not.toContain("second signal");
    expect(isAlive(nodePid)).toBe(false);
    expect(await readDirtyFlag(stateFilePath(join(dir, "data")))).toBe(false);
  });
});
