import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { isAlive } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { pidFileOf, startTicksOf } from "../src/nodeos/orphan.js";
import { memoryLogger, waitFor } from "./helpers.js";
import { type SimChain, simChain } from "./nodeos-helpers.js";

const chains: SimChain[] = [];
const children: number[] = [];
afterEach(async () => {
  for (const c of chains.splice(0).reverse()) await c.dispose();
  for (const pid of children.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

describe("a nodeos left running by a killed manageos", () => {
  it("is found by its pid file and stopped cleanly before the next manageos starts its own, and the log says so", async () => {
    // The first manageos starts nodeos, then is gone without stopping it (as after a SIGKILL).
    const first = await simChain({ superviser: { restart: { policy: "never" } } });
    chains.push(first);
    await first.chain.start();
    await waitFor(first.chain, "head");
    const orphan = first.chain.status().pid as number;
    const record = JSON.parse(await readFile(pidFileOf(first.configDir), "utf8")) as { pid: number; dataDir: string };
    expect(record).toMatchObject({ pid: orphan, dataDir: first.dataDir });

    const log = memoryLogger();
    const next = await simChain({ node: { dataDir: first.dataDir, configDir: first.configDir } }, {}, log.logger);
    chains.push(next);
    await next.chain.start();
    expect(isAlive(orphan)).toBe(false);
    const ours = next.chain.status().pid as number;
    expect(ours).not.toBe(orphan);
    expect(isAlive(ours)).toBe(true);
    const warned = log
      .records()
      .filter((r) => r.level === "warn" && r.pid === orphan)
      .map((r) => r.msg);
    expect(warned).toEqual([
      "a nodeos an earlier manageos started on this data dir still runs: stopping it before starting ours",
      "the earlier nodeos stopped",
    ]);
    // It stopped on SIGTERM, as nodeos does: its state is clean.
    expect(log.records().find((r) => r.msg === "the earlier nodeos stopped")).toMatchObject({ killed: false });
    await waitFor(next.chain, "head");
    expect(JSON.parse(await readFile(pidFileOf(first.configDir), "utf8"))).toMatchObject({ pid: ours });
  });

  it("leaves alone a process that only has the pid of the record (a pid reused since)", async () => {
    const c = await simChain({});
    chains.push(c);
    const other = spawn("sleep", ["60"], { stdio: "ignore" });
    children.push(other.pid as number);
    expect(await startTicksOf(other.pid as number)).not.toBeNull();
    await mkdir(c.configDir, { recursive: true });
    await writeFile(pidFileOf(c.configDir), JSON.stringify({ pid: other.pid, startTicks: "1", dataDir: c.dataDir }));
    await c.chain.start();
    expect(isAlive(other.pid as number)).toBe(true);
  });
});
