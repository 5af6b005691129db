import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Backups,
  BackupSchedule,
  type BackupServiceOptions,
  createBackupMetrics,
  createRecoveryMetrics,
  type DirtyStep,
  type GateStatus,
  type HeadInfo,
  JobQueue,
  type JobRecord,
  NodeBackupService,
  NodeWatch,
  openStore,
  Operator,
  type ProductionService,
  ProxyGate,
  Recovery,
  type RecoveryOptions,
  type Store,
} from "../src/index.js";
import { CHAIN_ID, FakeNode } from "./backups-fake-node.js";

const logger = pino({ level: "silent" });

interface Harness {
  node: FakeNode;
  store: Store;
  backups: Backups;
  gate: ProxyGate;
  operator: Operator;
  service: NodeBackupService;
  recovery: Recovery;
  registry: Registry;
  gateLog: GateStatus[];
}

let work: string;
let harness: Harness | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-bkpsvc-"));
});
afterEach(async () => {
  await harness?.operator.shutdown();
  harness = undefined;
  await rm(work, { recursive: true, force: true });
});

async function setup(
  options: {
    service?: Partial<BackupServiceOptions>;
    recovery?: Partial<RecoveryOptions>;
    production?: ProductionService;
    dataDir?: string;
    start?: boolean;
  } = {},
): Promise<Harness> {
  const node = new FakeNode(options.dataDir ?? join(work, "data"));
  const store = openStore(`file://${join(work, "store")}`);
  const registry = new Registry();
  const backups = new Backups({ chunkSize: 64 * 1024 }, { store, logger, metrics: createBackupMetrics(registry) });
  const gate = new ProxyGate();
  const gateLog: GateStatus[] = [];
  gate.on("change", (s) => gateLog.push(s));
  let operator: Operator | undefined;
  const queue = new JobQueue({ stateDir: join(work, "state") }, { logger });
  const watch = new NodeWatch(
    { stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, gate, logger },
  );
  const service = new NodeBackupService(
    { tag: "manual", snapshotsKeepLast: 2, bpMode: false, ...options.service },
    {
      backups,
      store,
      chain: node,
      gate,
      node: watch,
      logger,
      ...(options.production === undefined ? {} : { production: options.production }),
    },
  );
  const recovery = new Recovery(
    { bootstrap: "backup", dirtyPolicy: ["restore-latest", "replay", "fail"], aliveTimeout: 10_000, ...options.recovery },
    { chain: node, service, store, gate, jobs: queue, node: watch, logger, metrics: createRecoveryMetrics(registry) },
  );
  operator = new Operator(
    { app: "test", stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, queue, node: watch, gate, logger, backups: service, recovery },
  );
  harness = { node, store, backups, gate, operator, service, recovery, registry, gateLog };
  if (options.start !== false) {
    await operator.start();
    await until(() => gate.isOpen, "the gate opens");
  }
  return harness;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runJob(
  h: Harness,
  kind: string,
  run: Parameters<Operator["submit"]>[2],
): Promise<JobRecord & { updates: JobRecord["progress"][] }> {
  const updates: JobRecord["progress"][] = [];
  const job = h.operator.submit(kind, {}, run, { queue: true });
  const unsubscribe = h.operator.queue.subscribe(job.id, (record) => updates.push({ ...record.progress }));
  const done = await h.operator.queue.wait(job.id);
  unsubscribe();
  return Object.assign(done, { updates });
}

// A production service whose safe pause, resume and restart wait do nothing; `status` says not producing unless given.
function fakeProduction(overrides: Partial<ProductionService> = {}): ProductionService {
  return {
    safelyPause: async () => undefined,
    safelyResume: async () => undefined,
    waitSafeToRestart: async () => undefined,
    status: () => ({ state: "not-producing" }),
    ...overrides,
  };
}

// The recovery steps counted so far (every step and result is exported from the start, at 0).
async function recoveries(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("manageos_recoveries_total")?.get();
  const counted = (metric?.values ?? []).filter((v) => v.value > 0);
  return Object.fromEntries(counted.map((v) => [`${v.labels.step}/${v.labels.result}`, v.value]));
}

describe("backup job", () => {
  it("stops the node, backs up blocks and state with byte progress, restarts it and reopens the proxy once synced", async () => {
    const h = await setup({ service: { keepLast: 2 } });
    await writeFile(join(h.node.dataDir, "config-left-out.txt"), "not backed up");
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(done.error).toBeUndefined();
    expect(done.state).toBe("succeeded");
    const result = done.result as {
      name: string;
      chainId: string;
      files: number;
      sizeBytes: number;
      syncedHead: number;
      head: { num: number };
    };
    expect(result.chainId).toBe(CHAIN_ID);
    expect(result.files).toBe(2);
    expect(result.syncedHead).toBeGreaterThan(result.head.num);
    expect(h.node.stops).toBe(1);
    expect(h.node.starts).toHaveLength(2);
    // The proxy was closed for the backup, and is open again now the node is synced.
    expect(h.gateLog.some((s) => s.reasons.includes("backup"))).toBe(true);
    expect(h.gate.isOpen).toBe(true);
    const bytes = done.updates.filter((p) => p.unit === "bytes" && p.total !== undefined && p.total > 0);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.at(-1)?.current).toBe(bytes.at(-1)?.total);
    expect(bytes.some((p) => /\d+\/2 files/.test(p.message))).toBe(true);
    const manifest = await h.backups.manifest(CHAIN_ID, result.name);
    expect(manifest.files.map((f) => f.path)).toEqual(["blocks/blocks.log", "state/shared_memory.bin"]);

    // Two more backups with keepLast 2: the oldest goes, the list is newest first.
    for (const _ of [1, 2]) {
      await h.node.tick();
      expect((await runJob(h, "backup", (ctx) => h.service.backup(ctx, { tag: "nightly" }))).state).toBe("succeeded");
    }
    const list = await h.service.list({ limit: 10, offset: 0 });
    expect(list).toHaveLength(2);
    expect(list.map((b) => b.tag)).toEqual(["nightly", "nightly"]);
    expect(list[0]?.head.num).toBeGreaterThan(list[1]?.head.num ?? Number.POSITIVE_INFINITY);
    expect(list.every((b) => b.chainId === CHAIN_ID && b.sizeBytes > 0 && b.newBytes >= 0)).toBe(true);
    expect(await h.service.list({ limit: 1, offset: 1 })).toEqual([list[1]]);
  });

  it("refuses with a coded 409 while we are on the hook to produce, and proceeds otherwise, pausing production in bp mode", async () => {
    let state = "producing-next";
    const production = fakeProduction({ status: () => ({ state }) });
    const h = await setup({ production, service: { bpMode: true } });
    const refused = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(refused.state).toBe("failed");
    expect(refused.error?.code).toBe("BKP_ERR_PRODUCING");
    expect(refused.error?.message).toContain("producing-next");
    expect(h.node.stops).toBe(0);
    expect(h.gate.isOpen).toBe(true);
    state = "not-producing";
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(done.state).toBe("succeeded");
    expect(h.node.pauses).toBe(1);
  });

  it("brings production it paused back through the safe resume, and leaves paused production paused", async () => {
    let refusal: Error | undefined;
    const resumes: number[] = [];
    const h = await setup({
      service: { bpMode: true },
      production: fakeProduction({
        resumeAfterRestart: async (_ctx, timeoutMs) => {
          resumes.push(timeoutMs);
          if (refusal !== undefined) throw refusal;
          await h.node.resumeProduction();
          return { resumed: true };
        },
      }),
    });
    const producing = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(producing.state).toBe("succeeded");
    expect(h.node.pauses).toBe(1);
    expect(resumes).toHaveLength(1);
    expect(h.node.paused).toBe(false);
    expect(producing.result).toMatchObject({ production: { resumed: true } });

    // Paused before the job: nothing brings it back.
    await h.node.pauseProduction();
    const paused = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(paused.result).toMatchObject({ production: null });
    expect(resumes).toHaveLength(1);
    expect(h.node.paused).toBe(true);
    expect(paused.log.some((l) => l.level === "info" && l.message.includes("production was paused and stays paused"))).toBe(true);

    // Paused but about to resume after a start of nodeos: the job's pause wins, and the log says so.
    h.node.wanted = true;
    const aboutToResume = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(aboutToResume.result).toMatchObject({ production: null });
    expect(aboutToResume.log.some((l) => l.level === "warn" && l.message.includes("was to resume after the start of nodeos"))).toBe(true);
    expect([h.node.paused, h.node.wanted]).toEqual([true, false]);
    expect(resumes).toHaveLength(1);

    // A restore does the same.
    await h.node.resumeProduction();
    const restored = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "latest" }));
    expect(restored.state).toBe("succeeded");
    expect(restored.result).toMatchObject({ production: { resumed: true } });
    expect(resumes).toHaveLength(2);
    expect(h.node.paused).toBe(false);

    // A refused resume (another node of ours produced meanwhile) leaves production paused and says so; the backup stands.
    refusal = Object.assign(new Error("another node of ours produced block 40"), { code: "PRD_ERR_UNSAFE_RESUME" });
    const refused = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(refused.state).toBe("succeeded");
    expect(refused.result).toMatchObject({ production: { resumed: false, error: { code: "PRD_ERR_UNSAFE_RESUME" } } });
    expect(refused.log.some((l) => l.level === "error" && l.message.includes("production stays paused"))).toBe(true);
    expect(h.node.paused).toBe(true);

    // A failed backup starts the node on its data again, and production with it.
    refusal = undefined;
    await h.node.resumeProduction();
    await rm(join(work, "store"), { recursive: true });
    await writeFile(join(work, "store"), "not a directory");
    const failed = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(failed.state).toBe("failed");
    expect(resumes).toHaveLength(4);
    expect(h.node.paused).toBe(false);
  });

  it("backs up a node whose production is paused, or that is stopped, although the schedule says our round comes next", async () => {
    // A paused standby of a BP trio, or a node paused for this backup, still sees our round coming.
    const production = fakeProduction({ status: () => ({ state: "producing-next", paused: false }) });
    const h = await setup({ production, service: { bpMode: true } });
    h.node.paused = true;
    const paused = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(paused.state).toBe("succeeded");
    expect(h.node.stops).toBe(1);
    // Asked of the node, not taken from a cached status: once it produces again, the backup is refused.
    h.node.paused = false;
    const producing = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(producing.error?.code).toBe("BKP_ERR_PRODUCING");
    expect(h.node.stops).toBe(1);
    // A stopped node (maintenance) produces nothing either; it is backed up and left stopped.
    await h.node.stop();
    const stopped = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(stopped.state).toBe("succeeded");
    expect(h.node.state).toBe("stopped");
  });

  it("restarts the node and reopens the proxy when the backup fails, and never backs up dirty data", async () => {
    const h = await setup();
    // The store is unusable: a file where its directory should be.
    await writeFile(join(work, "store"), "not a directory");
    const failed = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(failed.state).toBe("failed");
    expect(h.node.state).toBe("running");
    await until(() => h.gate.isOpen, "the gate reopens after the failed backup");
    expect(h.gate.status().reasons).not.toContain("backup");
  });
});

describe("the head a backup records", () => {
  // A node at block 5 in bp mode whose blocks come by hand (each polled), with the calls the job makes in order and
  // get_info's answer now passed through `answer`; its own blocks come back at the stop, so that it syncs again.
  async function atBlock5(
    answer: (live: HeadInfo | undefined) => HeadInfo | undefined = (live) => live,
  ): Promise<{ h: Harness; calls: string[] }> {
    const h = await setup({ start: false, service: { bpMode: true }, production: fakeProduction() });
    const { node } = h;
    node.held = true;
    await h.operator.start();
    for (const _ of [1, 2, 3, 4, 5]) await node.tick();
    await until(() => h.gate.isOpen, "the gate opens");
    const calls: string[] = [];
    const [pause, headNow, stop] = [node.pauseProduction.bind(node), node.headNow.bind(node), node.stop.bind(node)];
    node.pauseProduction = async () => {
      calls.push("pause");
      await pause();
    };
    node.headNow = async () => {
      calls.push("headNow");
      return answer(await headNow());
    };
    node.stop = async () => {
      calls.push("stop");
      node.held = false;
      return stop();
    };
    return { h, calls };
  }

  type Done = { name: string; head: { num: number; id: string } };

  it("is the head nodeos reports just before the stop, not the last poll's that trails it", async () => {
    const { h, calls } = await atBlock5();
    // Block 6 is on disk and get_info says so, but no poll has seen it yet.
    await h.node.tick({ polled: false });
    expect(h.node.head?.headBlockNum).toBe(5);
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(done.error).toBeUndefined();
    const result = done.result as Done;
    expect(result.head).toEqual({ num: 6, id: `00000006${"cd".repeat(28)}` });
    expect(result.name).toMatch(/^0000000006-/);
    expect(calls.slice(0, 3)).toEqual(["pause", "headNow", "stop"]);
    expect(done.log.some((l) => l.message === `backing up chain ${CHAIN_ID} at head #6`)).toBe(true);
    expect(done.updates.some((p) => p.message === "stopping the node (head #6)")).toBe(true);
    // The data backed up holds the head recorded.
    await h.backups.restore({ dataDir: join(work, "copy"), chainId: CHAIN_ID, name: result.name });
    expect((await readFile(join(work, "copy", "blocks", "blocks.log"))).length).toBe(6 * 64);
  });

  it("is the last poll's when nodeos does not answer just before the stop, and the job log says so", async () => {
    const { h, calls } = await atBlock5(() => undefined);
    await h.node.tick({ polled: false });
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const result = done.result as Done;
    expect(result.head).toEqual({ num: 5, id: `00000005${"cd".repeat(28)}` });
    expect(result.name).toMatch(/^0000000005-/);
    expect(calls.slice(0, 3)).toEqual(["pause", "headNow", "stop"]);
    expect(done.log.some((l) => l.level === "warn" && l.message.includes("no answer; recording the last poll's head #5"))).toBe(true);
  });

  it("is the last poll's when nodeos answers for another chain than the one checked", async () => {
    const other = "0".repeat(64);
    const { h } = await atBlock5((live) => live && { ...live, chainId: other });
    await h.node.tick({ polled: false });
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const result = done.result as Done & { chainId: string };
    expect(result.chainId).toBe(CHAIN_ID);
    expect(result.head.num).toBe(5);
    expect(result.name).toMatch(/^0000000005-/);
    expect(done.log.some((l) => l.level === "warn" && l.message.includes(`head #6 of chain ${other}`))).toBe(true);
  });
});

describe("restore job", () => {
  it("restores latest, falling back past a corrupt backup and saying so in the job log", async () => {
    const h = await setup();
    const first = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const older = (first.result as { name: string }).name;
    await until(() => (h.node.head?.headBlockNum ?? 0) > (first.result as { head: { num: number } }).head.num + 3, "more blocks");
    const second = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const newer = (second.result as { name: string }).name;
    const manifest = await h.backups.manifest(CHAIN_ID, newer);
    const logChunk = manifest.files.find((f) => f.path === "blocks/blocks.log")?.chunks.at(-1);
    expect(logChunk).toBeTruthy();
    await writeFile(join(work, "store", "chunks", String(logChunk).slice(0, 2), String(logChunk)), "corrupt");

    const done = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "latest" }));
    expect(done.error).toBeUndefined();
    const result = done.result as { name: string; fallbacks: { name: string; code: string }[]; chainIdFrom: string; syncedHead: number };
    expect(result.name).toBe(older);
    expect(result.fallbacks.map((f) => [f.name, f.code])).toEqual([[newer, "BKP_ERR_CHUNK_CORRUPT"]]);
    expect(result.chainIdFrom).toBe("node");
    expect(done.log.some((l) => l.level === "warn" && l.message.includes(newer) && l.message.includes("fell back"))).toBe(true);
    expect(h.gate.isOpen).toBe(true);
    // The node runs on the restored log: the older backup's blocks, grown from there.
    await h.backups.restore({ dataDir: join(work, "older"), chainId: CHAIN_ID, name: older });
    const olderLog = await readFile(join(work, "older", "blocks", "blocks.log"));
    const log = await readFile(join(h.node.dataDir, "blocks", "blocks.log"));
    expect(olderLog.length).toBeGreaterThan(0);
    expect(log.subarray(0, olderLog.length).equals(olderLog)).toBe(true);
  });

  it("fails a named restore that does not exist and brings the node back on its data", async () => {
    const h = await setup();
    const done = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "0000000001-20200101T000000Z-none" }));
    expect(done.state).toBe("failed");
    expect(done.error?.code).toBe("BKP_ERR_NOT_FOUND");
    expect(h.node.state).toBe("running");
    await until(() => h.gate.isOpen, "the gate reopens");
  });
});

describe("snapshots", () => {
  it("stores snapshots without stopping the node, deletes the local file, keeps snapshotsKeepLast, and restores one", async () => {
    const h = await setup();
    const names: string[] = [];
    for (const _ of [1, 2, 3]) {
      await h.node.tick();
      const done = await runJob(h, "snapshot", (ctx) => h.service.snapshot(ctx));
      expect(done.error).toBeUndefined();
      names.push((done.result as { snapshot: { name: string } }).snapshot.name);
    }
    expect(h.node.stops).toBe(0);
    expect(await readdir(join(h.node.dataDir, "snapshots"))).toEqual([]);
    const stored = await h.backups.listSnapshots({ chainId: CHAIN_ID });
    expect(stored.map((s) => s.name)).toEqual([names[2], names[1]]);

    const done = await runJob(h, "snapshot_restore", (ctx) => h.service.snapshotRestore(ctx, { snapshot: String(names[1]) }));
    expect(done.error).toBeUndefined();
    const start = h.node.starts.at(-1);
    expect(start?.snapshot).toMatch(/snapshots\/restore-.*\.bin$/);
    expect(h.gate.isOpen).toBe(true);
  });
});

describe("boot and dirty recovery", () => {
  async function seedBackup(): Promise<{ name: string; log: Buffer }> {
    const h = await setup();
    await until(() => (h.node.head?.headBlockNum ?? 0) > 5, "a few blocks");
    const done = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const log = await readFile(join(h.node.dataDir, "blocks", "blocks.log"));
    await h.operator.shutdown();
    harness = undefined;
    return { name: (done.result as { name: string }).name, log };
  }

  it("restores the latest backup of the only chain in storage into an empty data dir at boot", async () => {
    const seeded = await seedBackup();
    const h = await setup({ dataDir: join(work, "fresh") });
    const boot = h.operator.queue.list().find((j) => j.kind === "bootstrap");
    expect(boot?.state).toBe("succeeded");
    expect(boot?.result).toMatchObject({ from: "backup", name: seeded.name });
    expect(boot?.log.some((l) => l.message.includes("from storage"))).toBe(true);
    const log = await readFile(join(h.node.dataDir, "blocks", "blocks.log"));
    expect(log.length).toBeGreaterThan(0);
    expect(h.gate.isOpen).toBe(true);
  });

  it("starts from genesis when storage is empty", async () => {
    const h = await setup();
    const boot = h.operator.queue.list().find((j) => j.kind === "bootstrap");
    expect(boot?.result).toEqual({ from: "genesis" });
    expect(h.node.starts).toEqual([{}]);
  });

  it("restores the latest backup after a SIGKILL left the data dirty, without a person, and counts it", async () => {
    const h = await setup();
    await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    h.node.kill();
    await until(() => h.operator.queue.list().some((j) => j.kind === "recover" && j.state === "succeeded"), "the recovery job succeeds");
    const job = h.operator.queue.list().find((j) => j.kind === "recover");
    expect(job?.result).toMatchObject({ recovered: true, step: "restore-latest" });
    expect(job?.log.filter((l) => l.level === "warn").map((l) => l.message)).toContain("recovery step restore-latest");
    expect(h.node.state).toBe("running");
    expect(await h.node.isDataDirty()).toBe(true); // set while running, as nodeos does
    await until(() => h.gate.isOpen, "the proxy reopens once synced");
    expect(await recoveries(h.registry)).toEqual({ "restore-latest/success": 1 });
  });

  it("falls through the policy one attempt per step: no backup, then a hard replay", async () => {
    const h = await setup();
    h.node.kill();
    await until(() => h.operator.queue.list().some((j) => j.kind === "recover" && j.state === "succeeded"), "the recovery job succeeds");
    expect(h.node.starts.at(-1)).toEqual({ replay: "hard" });
    expect(await recoveries(h.registry)).toEqual({ "restore-latest/failure": 1, "replay/success": 1 });
    await until(() => h.gate.isOpen, "the proxy reopens");
  });

  it("leaves the node stopped and fails the job with the policy fail", async () => {
    const h = await setup({ recovery: { dirtyPolicy: ["replay", "fail"] as DirtyStep[] } });
    h.node.failStarts = 1;
    h.node.kill();
    await until(() => h.operator.queue.list().some((j) => j.kind === "recover" && j.state === "failed"), "the recovery job fails");
    const job = h.operator.queue.list().find((j) => j.kind === "recover");
    expect(job?.error?.code).toBe("BKP_ERR_RECOVERY_FAILED");
    expect(job?.error?.message).toContain("replay: spawn failed");
    expect(h.node.state).not.toBe("running");
    expect(h.gate.isOpen).toBe(false);
    expect(await recoveries(h.registry)).toEqual({ "replay/failure": 1, "fail/failure": 1 });
  });

  it("recovers dirty data found before the first start", async () => {
    const seeded = await seedBackup();
    const node = new FakeNode(join(work, "data"));
    await node.start();
    node.kill(); // flag left set on disk
    const h = await setup({ start: false });
    await h.operator.start();
    const job = h.operator.queue.list().find((j) => j.kind === "recover");
    expect(job?.state).toBe("succeeded");
    expect(job?.result).toMatchObject({ step: "restore-latest" });
    expect(job?.log.some((l) => l.message.includes(seeded.name))).toBe(true);
    await until(() => h.gate.isOpen, "the proxy opens");
  });
});

describe("schedule", () => {
  it("does not skip for the schedule while production is paused", async () => {
    const production = fakeProduction({ status: () => ({ state: "producing-next", paused: true }) });
    const h = await setup({ production });
    h.node.paused = true;
    const schedule = new BackupSchedule(
      { tag: "scheduled" },
      { service: h.service, store: h.store, chain: h.node, jobs: h.operator.queue, node: h.operator, production, logger },
    );
    try {
      const queued = schedule.trigger("backup", "test");
      expect(queued).toHaveProperty("job");
      const id = (queued as { job: string }).job;
      await until(() => h.operator.queue.get(id).state === "succeeded", "the scheduled backup succeeds");
    } finally {
      schedule.close();
    }
  });

  it("queues a backup every N blocks and on a timer, skipping while we are on the hook to produce or about to resume", async () => {
    let state = "producing";
    let start: { state: string } | null = { state: "watching" };
    const production = fakeProduction({ status: () => ({ state, start }) });
    const h = await setup({ production });
    const schedule = new BackupSchedule(
      { tag: "scheduled", everyBlocks: 15, snapshotEvery: 150 },
      { service: h.service, store: h.store, chain: h.node, jobs: h.operator.queue, node: h.operator, production, logger },
    );
    schedule.start();
    try {
      expect(schedule.trigger("backup", "test")).toEqual({ skipped: "on the hook to produce (producing)" });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(h.operator.queue.list()).toEqual(h.operator.queue.list().filter((j) => j.kind === "bootstrap"));
      state = "not-producing";
      expect(schedule.trigger("backup", "test")).toEqual({ skipped: "production resumes after the start first (watching)" });
      start = { state: "resumed" };
      await until(
        () => h.operator.queue.list().filter((j) => j.kind === "backup" && j.state === "succeeded").length >= 2,
        "two scheduled backups",
      );
      await until(() => h.operator.queue.list().some((j) => j.kind === "snapshot" && j.state === "succeeded"), "a scheduled snapshot");
      const done = h.operator.queue.list().filter((j) => j.kind === "backup" && j.state === "succeeded");
      const heads = done.map((j) => (j.result as { head: { num: number } }).head.num).sort((a, b) => a - b);
      expect((heads[1] ?? 0) - (heads[0] ?? 0)).toBeGreaterThanOrEqual(15);
      expect(done.every((j) => j.params.tag === "scheduled" && typeof j.params.scheduled === "string")).toBe(true);
      expect(h.operator.queue.list().some((j) => j.state === "failed")).toBe(false);
    } finally {
      schedule.close();
    }
  });
});
