import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Backups, type ChainState, JobQueue, NodeBackupService, NodeWatch, Operator, openStore, ProxyGate, Recovery } from "@manageos/core";
import { isAlive } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import type { BackoffEvent } from "../src/process/superviser-types.js";
import { RegexpHookPlugin } from "../src/plugins/regexp-hook.js";
import { Superviser } from "../src/process/superviser.js";
import { fixture, ManualClock, quietLogger, tempDir, waitFor } from "./helpers.js";
import { type SimChain, simChain } from "./nodeos-helpers.js";

const STAND_IN = fixture("nodeos-stand-in.js");
const DIRTY_LINE =
  "error 2023-06-01T12:00:00.500 nodeos    controller.cpp:330 startup ] database dirty flag set (likely due to unclean shutdown): replay required";
const RESTART = {
  policy: "always" as const,
  backoffBase: 100,
  backoffCap: 400,
  resetAfter: 60_000,
  crashLoopThreshold: 3,
  noRestartExitCodes: [2],
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

// A superviser of the stand-in nodeos (exit 2), on a manual clock.
function standInSuperviser(clock: ManualClock, env: Record<string, string> = {}, hooks = new RegexpHookPlugin()): Superviser {
  const s = new Superviser(
    {
      name: "stand-in",
      launch: { command: STAND_IN, args: [], env: { NODEOS_STAND_IN_EXIT: "2", ...env } },
      terminate: { termRetryInterval: 10_000, killAfter: 30_000 },
      restart: RESTART,
      maxLineLength: 1024 * 1024,
      queueLines: 100,
      keepLastLines: 20,
    },
    { logger: quietLogger(), clock, plugins: [hooks] },
  );
  cleanups.push(async () => {
    const pid = s.pid;
    await s.close();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  });
  return s;
}

describe("restarts asked for from outside after a crash", () => {
  it("wait out the crash's backoff, doubling, and show the crash loop", async () => {
    const clock = new ManualClock();
    const s = standInSuperviser(clock);
    const backoffs: BackoffEvent[] = [];
    s.on("backoff", (event) => backoffs.push(event));
    let failed = waitFor(s, "state", (next) => next === "failed");
    await s.start();
    await failed;
    for (const [attempt, delayMs] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [4, 400],
    ] as const) {
      // What dirty recovery does when the flag on disk is clean: start it again.
      const started = s.start();
      expect(s.state).toBe(attempt >= 3 ? "crash-loop" : "backoff");
      expect(backoffs.at(-1)).toEqual({ attempt, delayMs, crashLoop: attempt >= 3 });
      expect(s.crashLoop).toBe(attempt >= 3);
      failed = waitFor(s, "state", (next) => next === "failed");
      clock.advance(delayMs - 1);
      expect(s.pid).toBeUndefined();
      const spawned = waitFor(s, "spawn");
      clock.advance(1);
      await spawned;
      await started;
      await failed;
    }
    expect(s.restarts).toBe(4);
  });

  it("count a child that exits 2 when asked to stop as a crash, and a stop cancels the waiting start", async () => {
    const clock = new ManualClock();
    const hooks = new RegexpHookPlugin();
    const up = hooks.waitFor(/^up$/);
    const s = standInSuperviser(clock, { NODEOS_STAND_IN_STAY: "1", NODEOS_STAND_IN_STDERR: "up" }, hooks);
    const backoffs: BackoffEvent[] = [];
    s.on("backoff", (event) => backoffs.push(event));
    await s.start();
    await up;
    expect(await s.stop()).toMatchObject({ exitCode: 2, requested: true });
    expect(s.crashes).toBe(1);
    const started = s.start();
    expect(backoffs).toEqual([{ attempt: 1, delayMs: 100, crashLoop: false }]);
    expect(await s.stop()).toBeUndefined();
    await expect(started).rejects.toMatchObject({ code: "SUP_ERR_START_CANCELLED" });
    expect(s.state).toBe("stopped");
    expect(clock.pending()).toEqual([]);
  });
});

describe("dirty recovery of a node whose log says dirty while its flag on disk is clean", () => {
  it("restarts it through the backoff and the crash-loop state instead of as fast as it exits", async () => {
    const c: SimChain = await simChain(
      {
        node: { binary: STAND_IN },
        superviser: { restart: { policy: "on-failure", backoffBase: "100ms", backoffCap: "400ms", crashLoopThreshold: 3 } },
      },
      { NODEOS_STAND_IN_STDERR: DIRTY_LINE, NODEOS_STAND_IN_EXIT: "2" },
    );
    const { dir, remove } = await tempDir("restart-backoff-");
    const logger = quietLogger();
    const stateDir = join(dir, "state");
    await mkdir(stateDir, { recursive: true });
    const store = openStore(`file://${join(dir, "store")}`);
    const gate = new ProxyGate();
    const queue = new JobQueue({ stateDir }, { logger });
    const watch = new NodeWatch({ stateDir, syncedMaxLag: 2_000, blockInterval: 50 }, { chain: c.chain, gate, logger });
    const service = new NodeBackupService(
      { tag: "manual", snapshotsKeepLast: 1, bpMode: false },
      { backups: new Backups({}, { store, logger }), store, chain: c.chain, gate, node: watch, logger },
    );
    const recovery = new Recovery(
      { bootstrap: "genesis", dirtyPolicy: ["replay", "fail"] },
      { chain: c.chain, service, store, gate, jobs: queue, node: watch, logger },
    );
    const operator = new Operator(
      { app: "test", stateDir, syncedMaxLag: 2_000, blockInterval: 50 },
      { chain: c.chain, queue, node: watch, gate, logger, backups: service, recovery },
    );
    const op = operator;
    cleanups.push(async () => {
      await op.shutdown();
      await c.dispose();
      await remove();
    });

    const spawns: number[] = [];
    const backoffs: BackoffEvent[] = [];
    const states: ChainState[] = [];
    c.chain.superviser.on("spawn", () => spawns.push(Date.now()));
    c.chain.superviser.on("backoff", (event) => backoffs.push(event));
    c.chain.on("state", (next) => states.push(next));
    const exits: number[] = [];
    c.chain.superviser.on("exit", () => exits.push(Date.now()));
    const fifth = waitFor(c.chain.superviser, "spawn", () => spawns.length >= 5);
    await op.start();
    await fifth;
    recovery.close();

    expect(backoffs.map((b) => [b.attempt, b.crashLoop])).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [4, true],
    ]);
    expect(states).toContain("crash-loop");
    // Each start came no sooner than its backoff (100, 200, 400, 400 ms) after the exit before it.
    const nominal = [100, 200, 400, 400];
    for (let i = 1; i < spawns.length; i++) {
      expect((spawns[i] as number) - (exits[i - 1] as number)).toBeGreaterThanOrEqual((nominal[i - 1] as number) - 5);
    }
    expect(op.queue.list().filter((j) => j.kind === "recover").length).toBeGreaterThanOrEqual(4);
  });
});
