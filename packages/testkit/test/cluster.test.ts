import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createCluster, NODEOS_SIM_BIN, type NodeosSim, readLedger, type SimChild, startNodeosSim, tempDir } from "../src/index.js";

const KEY = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

// Resolves once `re` has matched `n` lines of stderr.
async function waitForCount(child: SimChild, re: RegExp, n: number, timeoutMs = 30_000): Promise<void> {
  let from = 0;
  for (let i = 0; i < n; i++) {
    await child.waitForLine(re, { from, timeoutMs });
    from = child.stderrLines.findIndex((l, idx) => idx >= from && re.test(l)) + 1;
  }
}

interface Head {
  head_block_num: number;
  head_block_id: string;
  head_block_time: string;
}

async function head(sim: NodeosSim): Promise<Head> {
  return (await (await fetch(`${sim.httpUrl}/v1/chain/get_info`)).json()) as Head;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("simulated producer cluster", () => {
  it("records double production when two instances of one producer both produce", async () => {
    const dir = await tempDir();
    await createCluster(dir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 4, blockIntervalMs: 25 });
    const common = { clusterDir: dir, producerName: "bp.a", signatureProvider: KEY };
    const a = await startNodeosSim({ ...common, instance: "node-a" });
    const b = await startNodeosSim({ ...common, instance: "node-b" });
    await Promise.all([
      waitForCount(a.process, /Produced block .* signed by bp\.a/, 6),
      waitForCount(b.process, /Produced block .* signed by bp\.a/, 6),
    ]);
    await Promise.all([a.stop(), b.stop()]);
    const ledger = await readLedger(dir);
    expect(ledger.double).toBeGreaterThan(0);
    expect(ledger.byInstance["node-a"]).toBeGreaterThanOrEqual(6);
    expect(ledger.byInstance["node-b"]).toBeGreaterThanOrEqual(6);
    for (const slot of ledger.slots) expect(slot.producer).toBe("bp.a");

    const { stdout } = await promisify(execFile)(process.execPath, [NODEOS_SIM_BIN, "ledger", dir, "--json"]);
    const printed = JSON.parse(stdout) as { produced: number; double: number; missed: number };
    expect(printed).toMatchObject({ produced: ledger.produced, double: ledger.double, missed: ledger.missed });
    const text = await promisify(execFile)(process.execPath, [NODEOS_SIM_BIN, "ledger", dir]);
    expect(text.stdout).toContain(`double: ${ledger.double}`);
  });

  it("has no double production when one instance is paused; the paused one receives our producer's blocks", async () => {
    const dir = await tempDir();
    const blockIntervalMs = 25;
    await createCluster(dir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 4, blockIntervalMs });
    const common = { clusterDir: dir, producerName: "bp.a", signatureProvider: KEY };
    const active = await startNodeosSim({ ...common, instance: "active" });
    const standby = await startNodeosSim({ ...common, instance: "standby", pauseOnStartup: true });
    await standby.process.waitForLine(/Not producing block because production is explicitly paused/);
    await waitForCount(standby.process, /Received block .* signed by bp\.a/, 6);
    await waitForCount(active.process, /Produced block .* signed by bp\.a/, 6);
    // Both instances follow the same chain. Two reads of get_info are not taken at the same instant (on a loaded
    // machine one answers hundreds of ms, a dozen 25 ms blocks, after the other), so heads are compared block by block:
    // each one, read first on its own node, is then reached by the other node with the same id and block time.
    for (const [first, second] of [
      [active, standby],
      [standby, active],
    ] as const) {
      const h = await head(first);
      const other = await until(
        () => head(second),
        (o) => o.head_block_num >= h.head_block_num,
        10_000,
      );
      expect(other.head_block_num).toBeGreaterThanOrEqual(h.head_block_num);
      const block = (await (
        await fetch(`${second.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: h.head_block_num }) })
      ).json()) as { id: string; block_num: number };
      expect(block).toMatchObject({ id: h.head_block_id, block_num: h.head_block_num });
      // The same block number at the same time: both follow one schedule.
      const ahead = other.head_block_num - h.head_block_num;
      expect(Date.parse(`${other.head_block_time}Z`) - Date.parse(`${h.head_block_time}Z`)).toBe(ahead * blockIntervalMs);
    }
    await Promise.all([active.stop(), standby.stop()]);
    const ledger = await readLedger(dir);
    expect(ledger.double).toBe(0);
    expect(ledger.byInstance.active).toBeGreaterThanOrEqual(6);
    expect(ledger.byInstance.standby).toBeUndefined();
  });

  it("records missed slots when the only instance of a producer is paused, and production after resume", async () => {
    const dir = await tempDir();
    await createCluster(dir, { producers: ["bp.a", "bp.b"], roundLength: 3, blockIntervalMs: 25 });
    const sim = await startNodeosSim({
      clusterDir: dir,
      producerName: "bp.a",
      signatureProvider: KEY,
      pauseOnStartup: true,
      instance: "solo",
    });
    const missed = await until(
      () => readLedger(dir),
      (l) => l.missed >= 3,
    );
    expect(missed.missed).toBeGreaterThanOrEqual(3);
    expect(missed.produced).toBe(0);
    await fetch(`${sim.httpUrl}/v1/producer/resume`, { method: "POST" });
    await waitForCount(sim.process, /Produced block .* signed by bp\.a/, 3);
    await sim.stop();
    const ledger = await readLedger(dir);
    expect(ledger.produced).toBeGreaterThanOrEqual(3);
    expect(ledger.double).toBe(0);
  });

  it("cannot produce without a signature provider and says so like nodeos", async () => {
    const dir = await tempDir();
    await createCluster(dir, { producers: ["bp.a", "bp.b"], roundLength: 3, blockIntervalMs: 25 });
    const sim = await startNodeosSim({ clusterDir: dir, producerName: "bp.a", instance: "keyless" });
    await sim.process.waitForLine(/Not producing block because I don't have the private key for EOS\w+/);
    await sim.process.waitForLine(/Received block .* signed by bp\.b/);
    await sim.stop();
    expect((await readLedger(dir)).produced).toBe(0);
  });
});
