import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { createCluster, readLedger, startBlocksignerSim, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Daemon, nodeConfig, productionOf, startDaemon, until } from "./bp-harness.js";

// Two manageos-eos daemons sharing producer bp.b with the LOCAL coordinator (no etcd): node-0 is the
// producer_hostname and starts producing, node-1 starts paused; a handoff moves production.
let root: string;
let clusterDir: string;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
const daemons: Daemon[] = [];

beforeAll(async () => {
  root = await tempDir("manageos-bp-local-");
  clusterDir = join(root, "cluster");
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 12, blockIntervalMs: 50 });
  signer = await startBlocksignerSim({});
  for (const name of ["node-0", "node-1"]) {
    // node-1 reloads with the handoff policy, to node-0 (started first, so its address is known).
    const reload = name === "node-1" ? { reloadPolicy: "handoff", peers: [daemons[0]?.api] } : {};
    const config = await nodeConfig({
      name,
      dir: join(root, name),
      clusterDir,
      blocksigner: signer.url,
      layout: "leap",
      coordinator: { kind: "local" },
      bp: { producerHostname: "node-0", ...reload },
    });
    daemons.push(await startDaemon(name, join(root, name), config));
  }
}, 120_000);

afterAll(async () => {
  for (const d of daemons) await d.child.stop(30_000);
  await signer?.stop();
  await rm(root, { recursive: true, force: true });
}, 120_000);

/** Starts node-0's manageos again with its config (a pod restart); answers it and its decision about production. */
async function restartNode0(): Promise<{ restarted: Daemon; start: { state: string; reason?: string } }> {
  const config = JSON.parse(await readFile(join(root, "node-0", "manager.yaml"), "utf8")) as Record<string, unknown>;
  // At the address node-1 knows it by (bp.peers): a peer that does not answer there blocks node-1's resumes.
  const previous = daemons[0];
  if (previous !== undefined) config.api = { listen: new URL(previous.api).host };
  const restarted = await startDaemon("node-0", join(root, "node-0"), config);
  daemons[0] = restarted;
  const start = await until(
    "node-0's decision after its start",
    async () => {
      const s = (await productionOf(restarted.api)).start as { state: string; reason?: string } | null;
      return s?.state === "refused" || s?.state === "resumed" ? s : undefined;
    },
    60_000,
  );
  return { restarted, start };
}

describe("bp mode with the local coordinator", () => {
  it("lets only the producer_hostname produce after its start, hands production over, and no slot is produced twice", async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    await until(
      "node-0 producing, node-1 paused and synced",
      async () => {
        const [pa, pb] = await Promise.all([productionOf(a.api), productionOf(b.api)]);
        return pa.paused === false && pb.paused === true && pb.inSchedule === true ? true : undefined;
      },
      60_000,
    );
    await until("node-0's first block", async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > 0 || undefined, 30_000);
    expect((await readLedger(clusterDir)).byInstance["node-1"]).toBeUndefined();

    const handoff = await until(
      "the handoff to node-1",
      async () => {
        const { status, body } = await call(a.api, "POST", `/v1/nodeos/handoff?sync=true&to=${encodeURIComponent(b.api)}`, 90_000);
        if (status === 200) return body;
        // node-1 refuses while it has not watched the chain for a claim window yet; node-0 then produces again.
        if (JSON.stringify(body).includes("PRD_ERR_NOT_READY")) return undefined;
        throw new Error(JSON.stringify(body).slice(0, 600));
      },
      60_000,
      500,
    );
    const report = handoff.result as {
      from: { lastProduced: number };
      to: { firstProduced: number; node: string };
      doubleProduced: number;
    };
    expect(report.to.node).toBe("node-1");
    expect(report.doubleProduced).toBe(0);
    const ledger = await readLedger(clusterDir);
    const slot = (n: number) => ledger.slots.find((s) => s.blockNum === n)?.instances;
    expect(slot(report.from.lastProduced)).toEqual(["node-0"]);
    expect(slot(report.to.firstProduced)).toEqual(["node-1"]);
    expect(ledger.doubleSlots).toEqual([]);
    const [pa, pb] = await Promise.all([productionOf(a.api), productionOf(b.api)]);
    expect([pa.paused, pb.paused]).toEqual([true, false]);
    // A round later node-0 has produced nothing more.
    const before = ledger.byInstance["node-0"];
    await until(
      "another round of node-1",
      async () => ((await readLedger(clusterDir)).byInstance["node-1"] ?? 0) >= 24 || undefined,
      20_000,
    );
    const after = await readLedger(clusterDir);
    expect(after.byInstance["node-0"]).toBe(before);
    expect(after.doubleSlots).toEqual([]);
    console.log(
      `local handoff: node-0 last #${report.from.lastProduced}, node-1 first #${report.to.firstProduced}; ledger ${JSON.stringify(after.byInstance)}, double ${after.double}`,
    );
  }, 180_000);

  it("hands production to the peer before restarting the producer under reloadPolicy handoff", async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    expect((await productionOf(b.api)).paused).toBe(false);
    const { status, body } = await call(b.api, "POST", "/v1/nodeos/safely_reload?sync=true", 120_000);
    expect(status, JSON.stringify(body).slice(0, 600)).toBe(200);
    const result = body.result as { restart: { action: string; to: string; detail: { to: { firstProduced: number } } } };
    expect(result.restart).toMatchObject({ action: "handed-off", to: a.api });
    expect((await productionOf(a.api)).paused).toBe(false);
    // node-1's nodeos restarted paused; its flag is read again once it runs.
    await until("node-1 paused after its restart", async () => ((await productionOf(b.api)).paused === true ? true : undefined), 10_000);
    const before = (await readLedger(clusterDir)).byInstance["node-0"] ?? 0;
    await until(
      "node-0 producing again",
      async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > before + 12 || undefined,
      20_000,
    );
    const ledger = await readLedger(clusterDir);
    expect(ledger.slots.find((s) => s.blockNum === result.restart.detail.to.firstProduced)?.instances).toEqual(["node-0"]);
    expect(ledger.doubleSlots).toEqual([]);
  }, 180_000);

  it("keeps a restarted producer_hostname paused while its peer produces", async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    const handoff = await until(
      "the handoff to node-1",
      async () => {
        const { status, body } = await call(a.api, "POST", `/v1/nodeos/handoff?sync=true&to=${encodeURIComponent(b.api)}`, 90_000);
        if (status === 200) return body;
        if (JSON.stringify(body).includes("PRD_ERR_NOT_READY")) return undefined;
        throw new Error(JSON.stringify(body).slice(0, 600));
      },
      60_000,
      500,
    );
    expect((handoff.result as { to: { node: string } }).to.node).toBe("node-1");
    // node-0's manageos restarts (a pod restart) with the same config: producer_hostname still names it.
    expect(await a.child.stop(30_000)).toMatchObject({ code: 0 });
    const { restarted, start } = await restartNode0();
    expect(start).toMatchObject({ state: "refused", reason: expect.stringMatching(/another node of ours produced block #\d+/) });
    const [pa, pb] = await Promise.all([productionOf(restarted.api), productionOf(b.api)]);
    expect([pa.paused, pb.paused]).toEqual([true, false]);
    const counted = await readLedger(clusterDir);
    const [before, theirs] = [counted.byInstance["node-0"] ?? 0, counted.byInstance["node-1"] ?? 0];
    await until(
      "two more rounds of node-1",
      async () => ((await readLedger(clusterDir)).byInstance["node-1"] ?? 0) >= theirs + 24 || undefined,
      20_000,
    );
    const ledger = await readLedger(clusterDir);
    expect(ledger.byInstance["node-0"] ?? 0).toBe(before);
    expect(ledger.doubleSlots).toEqual([]);
  }, 180_000);

  it("brings production back after maintenance and resume of the producer, through the checks of a start", async () => {
    const b = daemons[1] as Daemon;
    // The previous test's node-0 stopped with it; it starts again and stays paused next to node-1.
    const { restarted: a, start } = await restartNode0();
    expect(start.state).toBe("refused");
    expect((await productionOf(b.api)).paused).toBe(false);
    const maintenance = await call(b.api, "POST", "/v1/nodeos/maintenance?sync=true", 60_000);
    expect(maintenance.status, JSON.stringify(maintenance.body).slice(0, 600)).toBe(200);
    expect(maintenance.body.result).toMatchObject({ resumesProduction: true });
    const stopped = await readLedger(clusterDir);
    const resume = await call(b.api, "POST", "/v1/nodeos/resume?sync=true", 120_000);
    expect(resume.status, JSON.stringify(resume.body).slice(0, 600)).toBe(200);
    expect(resume.body.result).toMatchObject({ production: { resumed: true, node: "node-1" } });
    const [pa, pb] = await Promise.all([productionOf(a.api), productionOf(b.api)]);
    expect([pa.paused, pb.paused]).toEqual([true, false]);
    const theirs = (await readLedger(clusterDir)).byInstance["node-1"] ?? 0;
    await until(
      "node-1 producing again",
      async () => ((await readLedger(clusterDir)).byInstance["node-1"] ?? 0) >= theirs + 12 || undefined,
      20_000,
    );
    const ledger = await readLedger(clusterDir);
    // Nobody of ours produced while node-1 was in maintenance; node-0 stayed paused throughout.
    expect(ledger.byInstance["node-0"] ?? 0).toBe(stopped.byInstance["node-0"] ?? 0);
    expect(ledger.doubleSlots).toEqual([]);
  }, 180_000);
});
