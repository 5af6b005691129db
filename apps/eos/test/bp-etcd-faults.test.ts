import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createCluster, readLedger, startBlocksignerSim, startTcpForwarder, type TcpForwarder, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  blocksAfter,
  call,
  type Daemon,
  lastBlockOf,
  ledgerHead,
  nodeConfig,
  nodeosPid,
  productionOf,
  signalAll,
  startDaemon,
  startEtcd,
  until,
} from "./bp-harness.js";

// Three manageos-eos daemons sharing producer bp.b through a real etcd (lease TTL 3 s), on a 50 ms chain (bp.a, bp.b,
// bp.c, 12-block rounds). Each reaches etcd through a TCP forwarder of its own, so that one node can be cut off.
// The simulator's ledger is the judge.
const NAMES = ["node-0", "node-1", "node-2"] as const;
const FREEZES = Number(process.env.BP_SOAK_ROUNDS ?? 10);
const FREEZE_MS = 10_000;

let root: string;
let clusterDir: string;
let etcd: Awaited<ReturnType<typeof startEtcd>>;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
const daemons = new Map<string, Daemon>();
const links = new Map<string, TcpForwarder>();
const daemon = (name: string) => daemons.get(name) as Daemon;

beforeAll(async () => {
  root = await tempDir("manageos-bp-etcd-faults-");
  clusterDir = join(root, "cluster");
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 12, blockIntervalMs: 50 });
  etcd = await startEtcd(root);
  signer = await startBlocksignerSim({});
  for (const name of NAMES) {
    const link = await startTcpForwarder(etcd.url);
    links.set(name, link);
    const config = await nodeConfig({
      name,
      dir: join(root, name),
      clusterDir,
      blocksigner: signer.url,
      layout: "leap",
      coordinator: { kind: "etcd", endpoints: [`http://${link.address}`], prefix: "/bp-faults", leaseTtl: "3s" },
    });
    daemons.set(name, await startDaemon(name, join(root, name), config));
  }
  await until(
    "all three following the chain, paused",
    async () => {
      const all = await Promise.all(NAMES.map((n) => productionOf(daemon(n).api)));
      return all.every((p) => p.paused === true && p.inSchedule === true) ? true : undefined;
    },
    60_000,
  );
}, 120_000);

afterAll(async () => {
  for (const d of daemons.values()) signalAll([d.pid], "SIGCONT");
  await Promise.all([...daemons.values()].map((d) => d.child.stop(30_000)));
  for (const link of links.values()) await link.close();
  await signer?.stop();
  await etcd?.stop();
  await rm(root, { recursive: true, force: true });
}, 120_000);

// The one node that signs now, by the nodes' own status; undefined when none or several.
async function producer(): Promise<string | undefined> {
  const states = await Promise.all(NAMES.map(async (n) => [n, await productionOf(daemon(n).api).catch(() => ({}))] as const));
  const signing = states.filter(([, p]) => (p as { signing?: unknown }).signing === true);
  return signing.length === 1 ? signing[0]?.[0] : undefined;
}

// The node that produces now; node-0 is resumed first when none does (each case can run on its own).
async function ensureProducer(): Promise<string> {
  if ((await producer()) === undefined) await resume("node-0").catch(diagnose);
  return (await until("one producer", producer, 30_000)) as string;
}

// Resumes `name`, retrying while it must wait (not ready, the lease still held elsewhere, a claim window).
async function resume(name: string, timeoutMs = 60_000): Promise<void> {
  await until(
    `${name} to resume`,
    async () => {
      const { status, body } = await call(daemon(name).api, "POST", "/v1/nodeos/safely_resume_production?sync=true", 20_000);
      if (status === 200) return true;
      if (["PRD_ERR_NOT_READY", "PRD_ERR_LEASE_HELD", "PRD_ERR_UNSAFE_RESUME", "PRD_ERR_COORDINATOR"].includes(String(body.code)))
        return undefined;
      throw new Error(`resume refused: ${JSON.stringify(body).slice(0, 400)}`);
    },
    timeoutMs,
    250,
  );
}

// What each node says of itself and its last log lines, for a failure's message.
async function diagnose(error: unknown): Promise<never> {
  const parts = await Promise.all(
    NAMES.map(
      async (n) =>
        `${n}: ${JSON.stringify(await productionOf(daemon(n).api).catch((e: unknown) => String(e)))}\n${daemon(n)
          .child.stdoutLines.filter((l) => !l.includes('"module":"nodeos"'))
          .slice(-25)
          .join("\n")}`,
    ),
  );
  const etcdLog = etcd.child.stderrLines
    .slice(-20)
    .map((l) => l.slice(0, 300))
    .join("\n");
  throw new Error(`${(error as Error).message}\n${parts.join("\n")}\netcd:\n${etcdLog}`);
}

describe("bp trio on etcd: faults of the producer and of etcd", () => {
  it(
    `keeps a frozen producer (manageos and nodeos stopped ${FREEZE_MS / 1000} s) from signing after its lease, ${FREEZES} times`,
    async () => {
      await resume("node-0");
      const rows: string[] = [];
      for (let i = 0; i < FREEZES; i++) {
        const victim = (await until("one producer", producer, 20_000)) as string;
        const standby = NAMES.find((n) => n !== victim) as string;
        await until(`${victim} producing`, async () => (lastBlockOf(await readLedger(clusterDir), victim) > 0 ? true : undefined), 10_000);
        const pids = [daemon(victim).pid, await nodeosPid(daemon(victim).api)];
        signalAll(pids, "SIGSTOP");
        const frozenAt = Date.now();
        let tookOverAt = 0;
        try {
          // The standby takes the lease once the frozen one's expired, and resumes after the claim window.
          await resume(standby, FREEZE_MS);
          tookOverAt = Date.now() - frozenAt;
          const waitRest = FREEZE_MS - (Date.now() - frozenAt);
          if (waitRest > 0)
            await until(`${standby} producing`, async () => (Date.now() - frozenAt >= FREEZE_MS ? true : undefined), waitRest + 1_000);
        } finally {
          signalAll(pids, "SIGCONT");
        }
        const thawedHead = ledgerHead(await readLedger(clusterDir));
        // Two rotations after the thaw: the thawed node's nodeos would have had its slots twice.
        await until(
          "two rotations after the thaw",
          async () => (ledgerHead(await readLedger(clusterDir)) > thawedHead + 72 ? true : undefined),
          30_000,
        );
        const ledger = await readLedger(clusterDir);
        expect(ledger.doubleSlots).toEqual([]);
        const victimAfter = blocksAfter(ledger, victim, thawedHead);
        expect(victimAfter).toEqual([]);
        expect(await producer()).toBe(standby);
        rows.push(
          `#${i + 1} ${victim} frozen: ${standby} resumed ${tookOverAt} ms later; ${victim} signed ${victimAfter.length} block(s) after the thaw`,
        );
      }
      console.log(`frozen producer, etcd (TTL 3 s):\n${rows.join("\n")}`);
    },
    60_000 + FREEZES * 60_000,
  );

  it("closes the fence when the producer's manageos alone is frozen, within one lease TTL at most", async () => {
    const victim = await ensureProducer();
    const before = lastBlockOf(await readLedger(clusterDir), victim);
    await until(`${victim} producing`, async () => (lastBlockOf(await readLedger(clusterDir), victim) > before ? true : undefined), 10_000);
    signalAll([daemon(victim).pid], "SIGSTOP");
    let during: number[] = [];
    let atFreeze = 0;
    try {
      const ledger = await readLedger(clusterDir);
      atFreeze = lastBlockOf(ledger, victim);
      const head = ledgerHead(ledger);
      await until("three rotations", async () => (ledgerHead(await readLedger(clusterDir)) > head + 108 ? true : undefined), 30_000);
      during = blocksAfter(await readLedger(clusterDir), victim, atFreeze);
    } finally {
      signalAll([daemon(victim).pid], "SIGCONT");
    }
    // Its lease expired meanwhile: once manageos runs again it takes a new one and, nobody else having produced,
    // resumes by itself.
    const back = await until(
      `${victim} producing again`,
      async () => blocksAfter(await readLedger(clusterDir), victim, Math.max(atFreeze, ...during))[0],
      30_000,
    ).catch(diagnose);
    console.log(
      `manageos of ${victim} frozen after its block #${atFreeze} (etcd): its nodeos signed ${during.length} block(s) of ours in three rotations; produced again from #${back} after the thaw`,
    );
    expect(during.length).toBeLessThanOrEqual(1);
    expect((await readLedger(clusterDir)).doubleSlots).toEqual([]);
  }, 120_000);

  it("brings production back by itself after a 10 s partition of the producer from etcd", async () => {
    const holder = await ensureProducer();
    const lastBefore = lastBlockOf(await readLedger(clusterDir), holder);
    await until(
      `${holder} producing`,
      async () => (lastBlockOf(await readLedger(clusterDir), holder) > lastBefore ? true : undefined),
      30_000,
    ).catch(diagnose);
    const link = links.get(holder) as TcpForwarder;
    await link.cut("drop");
    const cutAt = Date.now();
    try {
      await until(
        `${holder} to pause itself`,
        async () => ((await productionOf(daemon(holder).api)).signing === false ? true : undefined),
        10_000,
      );
      await until("the partition's end", async () => (Date.now() - cutAt >= 10_000 ? true : undefined), 15_000, 250);
    } finally {
      await link.restore();
    }
    const pausedAt = lastBlockOf(await readLedger(clusterDir), holder);
    const back = await until(
      "production back",
      async () => (await readLedger(clusterDir)).slots.find((s) => s.blockNum > pausedAt),
      60_000,
    ).catch(diagnose);
    const ledger = await readLedger(clusterDir);
    expect(ledger.doubleSlots).toEqual([]);
    expect(back.instances).toEqual([holder]);
    const gap = ledger.missedSlots.filter((n) => n > pausedAt && n < back.blockNum).length;
    console.log(
      `10 s partition of ${holder} from etcd: paused after #${pausedAt}; produced again from #${back.blockNum}; ${gap} slot(s) of ours missed`,
    );
  }, 120_000);

  // Last: an etcd started inside a test is stopped when that test ends.
  it("brings production back by itself after etcd is stopped and started again with its data", async () => {
    const holder = await ensureProducer();
    const lastBefore = lastBlockOf(await readLedger(clusterDir), holder);
    await until(
      `${holder} producing`,
      async () => (lastBlockOf(await readLedger(clusterDir), holder) > lastBefore ? true : undefined),
      30_000,
    );
    const ports = etcd.ports;
    await etcd.stop();
    await until(
      `${holder} to pause itself`,
      async () => ((await productionOf(daemon(holder).api)).signing === false ? true : undefined),
      10_000,
    );
    const pausedAt = lastBlockOf(await readLedger(clusterDir), holder);
    // The outage lasts longer than the lease TTL (3 s): every lease in etcd has expired by the time it is back.
    const stoppedAt = Date.now();
    await until("an outage of 4 s", async () => (Date.now() - stoppedAt >= 4_000 ? true : undefined), 10_000, 250);
    etcd = await startEtcd(root, ports);
    const back = await until(
      "production back on one node",
      async () => {
        const ledger = await readLedger(clusterDir);
        const next = ledger.slots.find((s) => s.blockNum > pausedAt);
        return next === undefined ? undefined : next;
      },
      60_000,
    );
    const ledger = await readLedger(clusterDir);
    expect(ledger.doubleSlots).toEqual([]);
    const gap = ledger.missedSlots.filter((n) => n > pausedAt && n < back.blockNum).length;
    console.log(
      `etcd stopped and restarted: ${holder} paused after #${pausedAt}; ${back.instances.join(",")} produced again from #${back.blockNum}; ${gap} slot(s) of ours missed`,
    );
    expect(back.instances).toEqual([holder]);
    // Longer than the sum of its bounded waits (up to 90 + 30 + 10 + 10 + 60 s, and etcd's start), so that a slow
    // step fails with its own name rather than as the whole test's timeout.
  }, 240_000);
});
