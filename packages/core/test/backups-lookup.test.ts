import { unlinkSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Backups,
  createApiServer,
  createBackupMetrics,
  type GateStatus,
  JobQueue,
  type JobRecord,
  NodeBackupService,
  NodeWatch,
  openStore,
  Operator,
  ProxyGate,
  statusOf,
} from "../src/index.js";
import { FakeNode } from "./backups-fake-node.js";

const logger = pino({ level: "silent" });

interface Harness {
  node: FakeNode;
  gate: ProxyGate;
  gateLog: GateStatus[];
  operator: Operator;
  service: NodeBackupService;
}

let work: string;
let harness: Harness | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-lookup-"));
});
afterEach(async () => {
  await harness?.operator.shutdown();
  harness = undefined;
  await rm(work, { recursive: true, force: true });
});

// A running fake node with an empty file:// store, its proxy gate open.
async function setup(): Promise<Harness> {
  const node = new FakeNode(join(work, "data"));
  const store = openStore(`file://${join(work, "store")}`);
  const backups = new Backups({ chunkSize: 64 * 1024 }, { store, logger, metrics: createBackupMetrics(new Registry()) });
  const gate = new ProxyGate();
  const gateLog: GateStatus[] = [];
  gate.on("change", (s) => gateLog.push(s));
  const queue = new JobQueue({ stateDir: join(work, "state") }, { logger });
  const watch = new NodeWatch(
    { stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, gate, logger },
  );
  const service = new NodeBackupService(
    { tag: "manual", snapshotsKeepLast: 2, bpMode: false },
    { backups, store, chain: node, gate, node: watch, logger },
  );
  const operator = new Operator(
    { app: "test", stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, queue, node: watch, gate, logger, backups: service },
  );
  harness = { node, gate, gateLog, operator, service };
  await operator.start();
  const deadline = Date.now() + 15_000;
  while (!gate.isOpen) {
    if (Date.now() > deadline) throw new Error("the gate did not open");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  gateLog.length = 0;
  return harness;
}

async function runJob(h: Harness, kind: string, run: Parameters<Operator["submit"]>[2]): Promise<JobRecord> {
  const job = h.operator.submit(kind, {}, run, { queue: true });
  return h.operator.queue.wait(job.id);
}

// The node was never stopped, kept running and serving: no stop, no start, the proxy never closed.
function expectUntouched(h: Harness): void {
  expect(h.node.stops).toBe(0);
  expect(h.node.starts).toHaveLength(1);
  expect(h.node.state).toBe("running");
  expect(h.gate.isOpen).toBe(true);
  expect(h.gateLog.filter((s) => !s.open)).toEqual([]);
}

describe("a restore of a name that is not there", () => {
  it("snapshot-restore of a missing snapshot fails without stopping the node or closing the proxy", async () => {
    const h = await setup();
    const done = await runJob(h, "snapshot_restore", (ctx) =>
      h.service.snapshotRestore(ctx, { snapshot: `0000000009-${"ab".repeat(32)}` }),
    );
    expect(done.state).toBe("failed");
    expect(done.error?.code).toBe("BKP_ERR_SNAPSHOT_NOT_FOUND");
    expectUntouched(h);
    const latest = await runJob(h, "snapshot_restore", (ctx) => h.service.snapshotRestore(ctx, { snapshot: "latest" }));
    expect(latest.error?.code).toBe("BKP_ERR_SNAPSHOT_NOT_FOUND");
    expectUntouched(h);
  });

  it("snapshot-restore whose download fails once the node is stopped starts the node again on its untouched data", async () => {
    const h = await setup();
    const taken = await runJob(h, "snapshot", (ctx) => h.service.snapshot(ctx));
    const name = (taken.result as { snapshot: { name: string; key: string } }).snapshot;
    // The snapshot goes away between the look-up and the download: removed as the node stops.
    h.node.once("state", (state: string) => {
      if (state === "stopped") unlinkSync(join(work, "store", ...name.key.split("/")));
    });
    const done = await runJob(h, "snapshot_restore", (ctx) => h.service.snapshotRestore(ctx, { snapshot: name.name }));
    expect(done.error?.code).toBe("BKP_ERR_SNAPSHOT_NOT_FOUND");
    expect(h.node.stops).toBe(1);
    expect(h.node.starts).toHaveLength(2);
    expect(h.node.starts[1]?.snapshot).toBeUndefined();
    expect(h.node.state).toBe("running");
    expect(done.log.some((l) => l.level === "error" && l.message.includes("starting the node on its previous data"))).toBe(true);
    const deadline = Date.now() + 15_000;
    while (!h.gate.isOpen) {
      if (Date.now() > deadline) throw new Error("the gate did not reopen");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it("restore of a missing backup, or of latest with none stored, fails with the node left running", async () => {
    const h = await setup();
    const named = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "0000000001-20200101T000000Z-none" }));
    expect(named.state).toBe("failed");
    expect(named.error?.code).toBe("BKP_ERR_NOT_FOUND");
    const latest = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "latest" }));
    expect(latest.error?.code).toBe("BKP_ERR_NO_BACKUP");
    expectUntouched(h);
  });

  it("refuses names that are not backup or snapshot names with a 400, in the job and at the route", async () => {
    const h = await setup();
    for (const name of ["..", ".", "x", "0000000001-20200101T000000Z-UPPER"]) {
      const restore = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: name }));
      expect(restore.error?.code, name).toBe("BKP_ERR_BAD_NAME");
      const snapshot = await runJob(h, "snapshot_restore", (ctx) => h.service.snapshotRestore(ctx, { snapshot: name }));
      expect(snapshot.error?.code, name).toBe("BKP_ERR_BAD_NAME");
    }
    expect(statusOf("BKP_ERR_BAD_NAME")).toBe(400);
    expectUntouched(h);

    const app = await createApiServer({}, { operator: h.operator, registry: new Registry(), logger });
    try {
      const jobsBefore = h.operator.queue.list(100).length;
      for (const url of ["/v1/manageos/restore?backup=..", "/v1/restore?backup=.", "/v1/nodeos/snapshot_restore?snapshot=.."]) {
        const res = await app.inject({ method: "POST", url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().code, url).toBe("BKP_ERR_BAD_NAME");
      }
      expect(h.operator.queue.list(100)).toHaveLength(jobsBefore);
    } finally {
      await app.close();
    }
    expectUntouched(h);
  });
});
