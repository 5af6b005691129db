import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  createCluster,
  type FinalizerKey,
  generateAccountKey,
  generateFinalizerKey,
  readLedger,
  startBlocksignerSim,
  tempDir,
} from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Daemon, nodeConfig, productionOf, startDaemon, startEtcd, until } from "./bp-harness.js";

// Three manageos-eos daemons sharing producer bp.b on the Spring 1.x simulator (Savanna from block 1), a real etcd,
// each node with a finalizer key of its own (all registered; node-0's active at genesis) and the key of bp.b's
// active permission to run eosio::actfinkey. The ledger judges slots and votes.
const NAMES = ["node-0", "node-1", "node-2"] as const;
const HANDOFFS = 10;
const TAKEOVERS = 3;

let root: string;
let clusterDir: string;
let etcd: Awaited<ReturnType<typeof startEtcd>>;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
const daemons = new Map<string, Daemon>();
const keys = new Map<string, FinalizerKey>(NAMES.map((n) => [n, generateFinalizerKey()]));
const account = generateAccountKey();
const daemon = (name: string) => daemons.get(name) as Daemon;

async function configOf(name: string, bp: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const dir = join(root, name);
  const key = keys.get(name)!;
  await writeFile(join(root, `${name}.finalizer`), `${key.publicKey}=${key.privateKey}\n`, { mode: 0o600 });
  const config = await nodeConfig({
    name,
    dir,
    clusterDir,
    blocksigner: signer.url,
    layout: "leap",
    coordinator: { kind: "etcd", endpoints: [etcd.url], prefix: "/bp-spring", leaseTtl: "3s" },
    bp: { finalizerKeys: join(root, `${name}.finalizer`), finalityKeyFile: join(root, "bp.b.active"), ...bp },
  });
  const node = config.node as { env: Record<string, string> };
  node.env = { ...node.env, NODEOS_SIM_VERSION: "v1.2.2" };
  return config;
}

beforeAll(async () => {
  root = await tempDir("manageos-bp-spring-");
  clusterDir = join(root, "cluster");
  await createCluster(clusterDir, {
    producers: ["bp.a", "bp.b", "bp.c"],
    roundLength: 12,
    blockIntervalMs: 50,
    accounts: { "bp.b": [account.publicKey] },
    finalizerKeys: { "bp.b": NAMES.map((n) => keys.get(n)!.publicKey) },
  });
  await writeFile(join(root, "bp.b.active"), `${account.privateKey}\n`, { mode: 0o600 });
  etcd = await startEtcd(root);
  signer = await startBlocksignerSim({});
  for (const name of NAMES) daemons.set(name, await startDaemon(name, join(root, name), await configOf(name)));
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
  await Promise.all([...daemons.values()].map((d) => d.child.stop(30_000)));
  await signer?.stop();
  await etcd?.stop();
  await rm(root, { recursive: true, force: true });
}, 120_000);

// The finalizer key of bp.b the chain has active, read from a node's chain API.
async function activeKey(): Promise<string | undefined> {
  const { body } = await call(daemon("node-0").api, "GET", "/v1/manageos/status", 5_000);
  const nodeApi = (body.node as { apiUrl: string }).apiUrl;
  const rows = async (table: string) =>
    (
      (await (
        await fetch(`${nodeApi}/v1/chain/get_table_rows`, {
          method: "POST",
          body: JSON.stringify({ code: "eosio", scope: "eosio", table, json: true, limit: 100 }),
        })
      ).json()) as { rows: Record<string, unknown>[] }
    ).rows;
  const fin = (await rows("finalizers")).find((r) => r.finalizer_name === "bp.b");
  return (await rows("finkeys")).find((r) => r.id === fin?.active_key_id)?.finalizer_key as string | undefined;
}

async function signingNode(): Promise<string | undefined> {
  const states = await Promise.all([...daemons.keys()].map(async (n) => [n, await productionOf(daemon(n).api)] as const));
  const signing = states.filter(([, p]) => p.signing === true);
  return signing.length === 1 ? signing[0]?.[0] : undefined;
}

describe("bp trio on Spring 1.x with etcd: finality moves with production", () => {
  it("writes each node's finalizer key and vote-threads into config.ini, and never prints the key", async () => {
    const ini = await readFile(join(root, "node-1", "config", "config.ini"), "utf8");
    const key = keys.get("node-1")!;
    expect(ini).toContain(`signature-provider = ${key.publicKey}=KEY:${key.privateKey}\n`);
    expect(ini).toMatch(/^vote-threads = 4$/m);
    expect(daemon("node-1").child.stdoutLines.join("\n")).not.toContain(key.privateKey);
    expect((await productionOf(daemon("node-1").api)).finalizerKeys).toEqual([key.publicKey]);
  });

  it(`activates the producing node's finalizer key at each of ${HANDOFFS} handoffs and ${TAKEOVERS} takeovers: no slot or vote doubled`, async () => {
    await until(
      "node-0 to resume",
      async () => {
        const { status, body } = await call(daemon("node-0").api, "POST", "/v1/nodeos/safely_resume_production?sync=true", 30_000);
        if (status === 200) return body;
        if (["PRD_ERR_NOT_READY", "PRD_ERR_LEASE_HELD"].includes(String(body.code))) return undefined;
        throw new Error(JSON.stringify(body).slice(0, 400));
      },
      60_000,
      250,
    );
    expect(await activeKey()).toBe(keys.get("node-0")!.publicKey);
    // Without a block of its own the first handoff has no last block here, and its gap would reach back to genesis.
    await until("node-0's first block", async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > 0 || undefined);
    const missed: number[] = [];
    let current = 0;
    for (let i = 0; i < HANDOFFS; i++) {
      const next = (current + 1) % NAMES.length;
      const [from, to] = [NAMES[current] as string, NAMES[next] as string];
      const { status, body } = await call(
        daemon(from).api,
        "POST",
        `/v1/nodeos/handoff?sync=true&to=${encodeURIComponent(daemon(to).api)}`,
        90_000,
      );
      expect(status, JSON.stringify(body).slice(0, 600)).toBe(200);
      const report = body.result as {
        to: { firstProduced: number | null };
        from: { lastProduced: number | null };
        finalizer: { before: string; after: string; activated: boolean };
      };
      expect(report.finalizer).toMatchObject({ before: keys.get(from)!.publicKey, after: keys.get(to)!.publicKey, activated: true });
      expect(await activeKey()).toBe(keys.get(to)!.publicKey);
      const ledger = await readLedger(clusterDir);
      // The edges of the handoff, as the ledger has them: the last block here and the first there, by the nodes named.
      const [last, first] = [report.from.lastProduced, report.to.firstProduced];
      expect(last, JSON.stringify(report)).not.toBeNull();
      expect(first, JSON.stringify(report)).not.toBeNull();
      const slot = (n: number) => ledger.slots.find((x) => x.blockNum === n)?.instances;
      expect(slot(last as number)).toEqual([from]);
      expect(slot(first as number)).toEqual([to]);
      missed.push(ledger.missedSlots.filter((n) => n > (last as number) && n < (first as number)).length);
      current = next;
    }
    for (let i = 0; i < TAKEOVERS; i++) {
      const producer = (await until("one producer", signingNode, 20_000)) as string;
      const taker = NAMES.find((n) => n !== producer) as string;
      await daemon(taker).child.stop(30_000);
      daemons.set(taker, await startDaemon(taker, join(root, taker), await configOf(taker, { takeover: true })));
      const took = await until(
        `${taker} to take over`,
        async () => {
          const t = (await productionOf(daemon(taker).api)).takeover as { state?: string } | null;
          if (t?.state === "failed" || t?.state === "skipped") throw new Error(JSON.stringify(t));
          return t?.state === "took-over" ? t : undefined;
        },
        90_000,
      );
      expect(took).toBeDefined();
      await until(`${taker}'s key active`, async () => ((await activeKey()) === keys.get(taker)!.publicKey ? true : undefined), 30_000);
    }
    const ledger = await readLedger(clusterDir);
    expect(ledger.doubleSlots).toEqual([]);
    expect(ledger.doubleVotes).toEqual([]);
    expect(ledger.votes).toBeGreaterThan(0);
    const sorted = [...missed].sort((a, b) => a - b);
    console.log(
      `Spring handoffs: missed slots per handoff ${missed.join(", ")} (median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)}); votes ${ledger.votes}, double votes ${ledger.doubleVotes.length}`,
    );
  }, 600_000);
});
