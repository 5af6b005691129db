import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createCluster, readLedger, startBlocksignerSim, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Daemon, nodeConfig, productionOf, startDaemon, until } from "./bp-harness.js";

// Takeover after reboot: node-0 produces bp.b; node-1 (the rebooted node) starts with bp.takeover and node-0 in
// bp.peers (local coordinator), syncs, then asks node-0 to hand production over.
let root: string;
let clusterDir: string;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
const daemons: Daemon[] = [];

beforeAll(async () => {
  root = await tempDir("manageos-bp-takeover-");
  clusterDir = join(root, "cluster");
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 12, blockIntervalMs: 50 });
  signer = await startBlocksignerSim({});
}, 60_000);

afterAll(async () => {
  for (const d of daemons) await d.child.stop(30_000);
  await signer?.stop();
  await rm(root, { recursive: true, force: true });
}, 120_000);

const config = (name: string, bp: Record<string, unknown>) =>
  nodeConfig({ name, dir: join(root, name), clusterDir, blocksigner: signer.url, layout: "leap", coordinator: { kind: "local" }, bp });

describe("takeover after reboot", () => {
  it("moves production to the node started with bp.takeover once it is synced, with no slot produced twice", async () => {
    const a = await startDaemon("node-0", join(root, "node-0"), await config("node-0", { producerHostname: "node-0" }));
    daemons.push(a);
    await until("node-0 producing", async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > 0 || undefined, 60_000);

    const b = await startDaemon("node-1", join(root, "node-1"), await config("node-1", { takeover: true, peers: [a.api] }));
    daemons.push(b);
    const takeover = await until(
      "node-1's takeover",
      async () => {
        const t = (await productionOf(b.api)).takeover as { state: string } | null;
        return t !== null && ["took-over", "skipped", "failed"].includes(t.state) ? t : undefined;
      },
      90_000,
      200,
    );
    expect(takeover, JSON.stringify(takeover)).toMatchObject({ state: "took-over", from: a.api });
    const [pa, pb] = await Promise.all([productionOf(a.api), productionOf(b.api)]);
    expect([pa.paused, pb.paused]).toEqual([true, false]);
    const firstOfB = (r: Awaited<ReturnType<typeof readLedger>>) =>
      Math.min(...r.slots.filter((s) => s.instances.includes("node-1")).map((s) => s.blockNum));
    await until(
      "node-1's blocks in the ledger",
      async () => ((await readLedger(clusterDir)).byInstance["node-1"] ?? 0) >= 12 || undefined,
      20_000,
    );
    const ledger = await readLedger(clusterDir);
    const lastOfA = Math.max(...ledger.slots.filter((s) => s.instances.includes("node-0")).map((s) => s.blockNum));
    expect(lastOfA).toBeLessThan(firstOfB(ledger));
    expect(ledger.doubleSlots).toEqual([]);
    // The takeover is on the producer's handoff job log too: node-0 ran a handoff job that succeeded.
    const jobs = (await call(a.api, "GET", "/v1/jobs?limit=10")).body as { jobs?: { kind: string; state: string }[] };
    expect(jobs.jobs?.some((j) => j.kind === "handoff" && j.state === "succeeded")).toBe(true);
    console.log(
      `takeover: node-0 last #${lastOfA}, node-1 first #${firstOfB(ledger)}; ledger ${JSON.stringify(ledger.byInstance)}, double ${ledger.double}, missed ${ledger.missed}`,
    );
  }, 240_000);
});
