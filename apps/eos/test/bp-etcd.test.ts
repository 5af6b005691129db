import { join } from "node:path";
import { createCluster, isAlive, readLedger, startBlocksignerSim, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Daemon, nodeConfig, productionOf, startDaemon, startEtcd, until } from "./bp-harness.js";

// Three manageos-eos daemons, each supervising a nodeos-sim that signs for bp.b, on a 50 ms chain
// (bp.a, bp.b, bp.c, 12-block rounds), coordinated through a real etcd.
const NAMES = ["node-0", "node-1", "node-2"] as const;
const HANDOFFS = 20;

let root: string;
let clusterDir: string;
let etcd: Awaited<ReturnType<typeof startEtcd>>;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
const daemons = new Map<string, Daemon>();

beforeAll(async () => {
  root = await tempDir("manageos-bp-");
  clusterDir = join(root, "cluster");
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 12, blockIntervalMs: 50 });
  etcd = await startEtcd(root);
  signer = await startBlocksignerSim({});
  // One after the other: each takes free ports only once the previous one holds its own.
  for (const [i, name] of NAMES.entries()) {
    const config = await nodeConfig({
      name,
      dir: join(root, name),
      clusterDir,
      blocksigner: signer.url,
      layout: i === 1 ? "legacy" : "leap",
      coordinator: { kind: "etcd", endpoints: [etcd.url], prefix: "/bp-test", leaseTtl: "3s" },
    });
    daemons.set(name, await startDaemon(name, join(root, name), config));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([...daemons.values()].map((d) => d.child.stop(30_000)));
  await signer?.stop();
  await etcd?.stop();
}, 120_000);

const daemon = (name: string) => daemons.get(name) as Daemon;

// Resumes `name` safely, retrying while it is not ready yet (it watches the chain for a claim window first).
async function resume(name: string): Promise<Record<string, unknown>> {
  return until(
    `${name} to resume`,
    async () => {
      const { status, body } = await call(daemon(name).api, "POST", "/v1/nodeos/safely_resume_production?sync=true");
      if (status === 200) return body;
      if (body.code === "PRD_ERR_NOT_READY") return undefined;
      throw new Error(`resume refused: ${JSON.stringify(body).slice(0, 400)}`);
    },
    60_000,
    250,
  );
}

async function producer(): Promise<string | undefined> {
  const states = await Promise.all(NAMES.filter((n) => daemons.has(n)).map(async (n) => [n, await productionOf(daemon(n).api)] as const));
  const producing = states.filter(([, p]) => p.paused === false);
  return producing.length === 1 ? producing[0]?.[0] : undefined;
}

describe("bp trio on etcd", () => {
  it("hands production around 20 times with no slot produced twice, and reports the missed slots", async () => {
    await until(
      "all three following the chain, paused",
      async () => {
        const all = await Promise.all(NAMES.map((n) => productionOf(daemon(n).api)));
        return all.every((p) => p.paused === true && p.inSchedule === true) ? true : undefined;
      },
      60_000,
    );
    await resume("node-0");
    expect(await until("node-0 producing", async () => (await producer()) === "node-0" || undefined)).toBe(true);
    await until("node-0's first block", async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > 0 || undefined);

    const rows: { from: string; to: string; lastHere: number; firstThere: number; reported: number; ledger: number }[] = [];
    let current = 0;
    for (let i = 0; i < HANDOFFS; i++) {
      const next = (current + 1) % NAMES.length;
      const from = NAMES[current] as string;
      const to = NAMES[next] as string;
      const { status, body } = await call(
        daemon(from).api,
        "POST",
        `/v1/nodeos/handoff?sync=true&to=${encodeURIComponent(daemon(to).api)}`,
        90_000,
      );
      expect(status, JSON.stringify(body).slice(0, 600)).toBe(200);
      const report = body.result as {
        from: { lastProduced: number };
        to: { firstProduced: number; node: string };
        missedSlots: number;
        doubleProduced: number;
      };
      expect(report.to.node, JSON.stringify(report)).toBe(to);
      expect(report.to.firstProduced, JSON.stringify(report)).not.toBeNull();
      expect(report.doubleProduced).toBe(0);
      const ledger = await readLedger(clusterDir);
      expect(ledger.doubleSlots).toEqual([]);
      const between = ledger.missedSlots.filter((n) => n > report.from.lastProduced && n < report.to.firstProduced).length;
      // The report counts from this node's view of the block lines; the ledger is the simulator's ground truth.
      expect(report.missedSlots, JSON.stringify(report)).toBeGreaterThanOrEqual(0);
      // The ledger agrees on who produced the edges of the handoff.
      const slot = (n: number) => ledger.slots.find((s) => s.blockNum === n)?.instances;
      expect(slot(report.from.lastProduced)).toEqual([from]);
      expect(slot(report.to.firstProduced)).toEqual([to]);
      rows.push({
        from,
        to,
        lastHere: report.from.lastProduced,
        firstThere: report.to.firstProduced,
        reported: report.missedSlots,
        ledger: between,
      });
      current = next;
    }
    console.log(
      `handoffs (50 ms blocks, 12-block rounds, 3 producers):\n${rows.map((r, i) => `#${i + 1} ${r.from} -> ${r.to}: last here #${r.lastHere}, first there #${r.firstThere}, missed ${r.reported} (ledger ${r.ledger})`).join("\n")}`,
    );
    console.log(`missed slots per handoff: ${rows.map((r) => r.ledger).join(", ")}; total ${rows.reduce((a, r) => a + r.ledger, 0)}`);
    expect(await producer()).toBe(NAMES[current]);
  }, 240_000);

  it("keeps a killed manageos' orphaned nodeos the only producer, and lets a standby take over only once it is gone", async () => {
    const victim = (await producer()) as string;
    expect(victim).toBeDefined();
    const standby = NAMES.find((n) => n !== victim) as string;
    const { body } = await call(daemon(victim).api, "GET", "/v1/manageos/status");
    const nodePid = (body.node as { pid: number }).pid;
    const victimLast = async () =>
      Math.max(0, ...(await readLedger(clusterDir)).slots.filter((s) => s.instances.includes(victim)).map((s) => s.blockNum));
    daemon(victim).child.kill("SIGKILL");
    await daemon(victim).child.exited;
    daemons.delete(victim);
    // nodeos-sim dies of the broken pipe when it next logs; if it lives on, it keeps producing and must stay the only producer.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (isAlive(nodePid)) {
      const refused = await call(daemon(standby).api, "POST", "/v1/nodeos/safely_resume_production?sync=true");
      expect(refused.status).toBe(409);
      process.kill(nodePid, "SIGKILL");
    }
    await until("the victim's nodeos to be gone", async () => (isAlive(nodePid) ? undefined : true));
    const lastOfVictim = await victimLast();
    const before = (await readLedger(clusterDir)).byInstance[standby] ?? 0;
    await until(
      `${standby} to take over`,
      async () => {
        const { status, body: answer } = await call(daemon(standby).api, "POST", "/v1/nodeos/safely_resume_production?sync=true");
        if (status === 200) return true;
        if (answer.code === "PRD_ERR_UNSAFE_RESUME" || answer.code === "PRD_ERR_NOT_READY") return undefined;
        throw new Error(JSON.stringify(answer));
      },
      30_000,
      250,
    );
    await until(
      `${standby} producing`,
      async () => ((await readLedger(clusterDir)).byInstance[standby] ?? 0) > before || undefined,
      10_000,
    );
    const ledger = await readLedger(clusterDir);
    expect(ledger.doubleSlots).toEqual([]);
    // The standby waited out the claim window (2.5 s = 50 blocks) after the victim's last block.
    const first = Math.min(
      ...ledger.slots.filter((s) => s.instances.includes(standby) && s.blockNum > lastOfVictim).map((s) => s.blockNum),
    );
    expect(first - lastOfVictim).toBeGreaterThanOrEqual(50);
    console.log(`after SIGKILL of ${victim}'s manageos: its last block #${lastOfVictim}, ${standby}'s first #${first}`);
  }, 120_000);

  it("pauses the producer when etcd goes away, and no standby can resume without it", async () => {
    const holder = (await producer()) as string;
    expect(holder).toBeDefined();
    const other = NAMES.find((n) => n !== holder && daemons.has(n)) as string;
    await etcd.stop();
    const paused = await until(
      `${holder} to pause itself`,
      async () => {
        const p = await productionOf(daemon(holder).api);
        return p.paused === true ? p : undefined;
      },
      10_000,
      100,
    );
    // The renewal watchdog or the guard on produced blocks, whichever sees it first.
    expect(paused.leaseLost).toMatch(/no etcd lease renewal|without holding the producer lease/);
    const refused = await call(daemon(other).api, "POST", "/v1/nodeos/safely_resume_production?sync=true", 30_000);
    expect(refused.status).toBeGreaterThanOrEqual(409);
    expect(["PRD_ERR_COORDINATOR", "PRD_ERR_NOT_READY"]).toContain(refused.body.code);
    // Nobody produces bp.b any more: a full rotation later the ledger shows no new block of ours.
    const settled = await readLedger(clusterDir);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const after = await readLedger(clusterDir);
    expect(after.produced).toBe(settled.produced);
    expect(after.doubleSlots).toEqual([]);
    console.log(
      `ledger at the end: produced ${after.produced}, missed ${after.missed}, double ${after.double}, by instance ${JSON.stringify(after.byInstance)}`,
    );
  }, 120_000);
});
