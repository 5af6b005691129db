import { createHash, randomBytes, randomInt } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Backups,
  cleanRestoreLeftovers,
  createBackupMetrics,
  createRecoveryMetrics,
  JobQueue,
  locateFinalizers,
  type Manifest,
  NEW_FINALIZER_KEY_ACTION,
  NodeBackupService,
  NodeWatch,
  openStore,
  Operator,
  ProxyGate,
  Recovery,
  type RecoveryOptions,
  type Store,
} from "../src/index.js";
import { CHAIN_ID, FakeNode } from "./backups-fake-node.js";
import { writeTree } from "./support/backup-fixtures.js";

// The node's finalizer safety data (Spring `safety.dat`) is never rolled back nor shared: whatever a restore does,
// the node's own file is byte for byte what it was, with its mode and mtime.

/** A fake node whose config names its finalizers dir (nodeos `finalizers-dir`). */
class FinalizersDirNode extends FakeNode {
  constructor(
    dataDir: string,
    readonly finalizers: string,
  ) {
    super(dataDir);
  }

  async finalizersDir(): Promise<string> {
    return this.finalizers;
  }
}

interface Harness {
  node: FakeNode;
  store: Store;
  backups: Backups;
  gate: ProxyGate;
  operator: Operator;
  service: NodeBackupService;
  warnings: { msg: string; module?: string; action?: string }[];
}

let work: string;
let harness: Harness | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-bkpfin-"));
});
afterEach(async () => {
  await harness?.operator.shutdown();
  harness = undefined;
  await rm(work, { recursive: true, force: true });
});

async function setup(options: { node?: FakeNode; dataDir?: string; recovery?: Partial<RecoveryOptions> } = {}): Promise<Harness> {
  const node = options.node ?? new FakeNode(options.dataDir ?? join(work, "data"));
  const warnings: Harness["warnings"] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const store = openStore(`file://${join(work, "store")}`);
  const registry = new Registry();
  const backups = new Backups({ chunkSize: 64 * 1024 }, { store, logger, metrics: createBackupMetrics(registry) });
  const gate = new ProxyGate();
  const stateDir = join(work, `state-${randomInt(1e9)}`);
  const queue = new JobQueue({ stateDir }, { logger });
  const watch = new NodeWatch({ stateDir, syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 }, { chain: node, gate, logger });
  const service = new NodeBackupService(
    { tag: "manual", snapshotsKeepLast: 2, bpMode: false },
    { backups, store, chain: node, gate, node: watch, logger },
  );
  const recovery = new Recovery(
    { bootstrap: "backup", dirtyPolicy: ["restore-latest", "replay", "fail"], aliveTimeout: 10_000, ...options.recovery },
    { chain: node, service, store, gate, jobs: queue, node: watch, logger, metrics: createRecoveryMetrics(registry) },
  );
  const operator = new Operator(
    { app: "test", stateDir, syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, queue, node: watch, gate, logger, backups: service, recovery },
  );
  harness = { node, store, backups, gate, operator, service, warnings };
  await operator.start();
  await until(() => gate.isOpen, "the gate opens");
  return harness;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function runJob(h: Harness, kind: string, run: Parameters<Operator["submit"]>[2]) {
  const job = h.operator.submit(kind, {}, run, { queue: true });
  return h.operator.queue.wait(job.id);
}

/** What a person would compare: the safety file's bytes, mode and mtime, and its dir's mode and mtime. */
interface SafetyLook {
  readonly bytes: string | undefined;
  readonly mode: number | undefined;
  readonly mtimeMs: number | undefined;
  readonly dirMode: number | undefined;
  readonly dirMtimeMs: number | undefined;
}

async function look(dir: string): Promise<SafetyLook> {
  const file = await lstat(join(dir, "safety.dat")).catch(() => undefined);
  const folder = await lstat(dir).catch(() => undefined);
  return {
    bytes: file === undefined ? undefined : (await readFile(join(dir, "safety.dat"))).toString("hex"),
    mode: file === undefined ? undefined : file.mode & 0o7777,
    mtimeMs: file?.mtimeMs,
    dirMode: folder === undefined ? undefined : folder.mode & 0o7777,
    dirMtimeMs: folder?.mtimeMs,
  };
}

// A new voting history: random bytes, a mode and mtimes that no restore would give it by chance.
async function writeSafety(dir: string): Promise<SafetyLook & { raw: Buffer }> {
  await mkdir(dir, { recursive: true });
  const raw = randomBytes(1000 + randomInt(3000));
  const path = join(dir, "safety.dat");
  await writeFile(path, raw);
  await chmod(path, 0o600);
  await chmod(dir, 0o750);
  const past = new Date(Date.now() - 86_400_000 - randomInt(86_400_000));
  await utimes(path, past, past);
  const earlier = new Date(past.getTime() - 60_000);
  await utimes(dir, earlier, earlier);
  return { ...(await look(dir)), raw };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

describe("the node's finalizer safety data", () => {
  it("a restore of an older backup leaves safety.dat byte for byte as it was; the backup only records it", async () => {
    const h = await setup();
    const fin = join(h.node.dataDir, "finalizers");
    const first = await writeSafety(fin);
    const older = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    expect(older.error).toBeUndefined();
    await writeSafety(fin);
    expect((await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}))).state).toBe("succeeded");
    const before = await writeSafety(fin);

    const name = (older.result as { name: string }).name;
    const done = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: name }));
    expect(done.error).toBeUndefined();
    const { raw: _raw, ...expected } = before;
    expect(await look(fin)).toEqual(expected);
    expect((done.result as { finalizer: unknown }).finalizer).toEqual({ dir: fin, safetyFile: "kept", action: null });

    // The backup recorded the safety file of its time, apart from the files a restore writes.
    const manifest: Manifest = await h.backups.manifest(CHAIN_ID, name);
    expect(manifest.files.some((f) => f.path.startsWith("finalizers"))).toBe(false);
    expect(manifest.finalizers).toEqual({
      dir: fin,
      restore: false,
      safetyFile: { path: "safety.dat", size: first.raw.length, mode: 0o600, mtimeMs: first.mtimeMs, chunks: [sha256(first.raw)] },
    });
    const listed = (await h.backups.list({ chainId: CHAIN_ID })).find((b) => b.name === name);
    expect(listed?.finalizers).toEqual({
      dir: fin,
      restore: false,
      safetyFile: { size: first.raw.length, mtime: new Date(first.mtimeMs ?? 0).toISOString() },
    });
    // An operator can look at it in the store, and gc keeps it.
    const key = join(work, "store", "chunks", sha256(first.raw).slice(0, 2), sha256(first.raw));
    await h.backups.gc({ graceMs: 0 });
    expect(sha256(await readFile(key))).toBe(sha256(first.raw));
  });

  it.each([
    ["in <data-dir>/finalizers", (data: string) => new FakeNode(data), (data: string) => join(data, "finalizers")],
    [
      "under state/ (finalizers-dir = state/finalizers)",
      (data: string) => new FinalizersDirNode(data, join(data, "state", "finalizers")),
      (data: string) => join(data, "state", "finalizers"),
    ],
  ])("a snapshot restore leaves safety.dat byte for byte as it was, %s", async (_where, makeNode, finOf) => {
    const data = join(work, "data");
    const h = await setup({ node: makeNode(data) });
    const fin = finOf(data);
    await writeSafety(fin);
    await h.node.tick();
    const snap = await runJob(h, "snapshot", (ctx) => h.service.snapshot(ctx));
    expect(snap.error).toBeUndefined();
    const { raw: _raw, ...before } = await writeSafety(fin);

    const done = await runJob(h, "snapshot_restore", (ctx) => h.service.snapshotRestore(ctx, { snapshot: "latest" }));
    expect(done.error).toBeUndefined();
    expect(h.node.starts.at(-1)?.snapshot).toMatch(/restore-.*\.bin$/);
    expect(await look(fin)).toEqual(before);
    expect((done.result as { finalizer: unknown }).finalizer).toEqual({ dir: fin, safetyFile: "kept", action: null });
  });

  it.each(["backup", "snapshot"] as const)(
    "a boot from another node's %s keeps this node's own safety.dat and never takes the other's",
    async (bootstrap) => {
      // Node A backs up (and snapshots) with its own safety file.
      const a = await setup({ dataDir: join(work, "a") });
      const theirs = await writeSafety(join(a.node.dataDir, "finalizers"));
      await until(() => (a.node.head?.headBlockNum ?? 0) > 3, "a few blocks");
      expect((await runJob(a, "backup", (ctx) => a.service.backup(ctx, {}))).state).toBe("succeeded");
      expect((await runJob(a, "snapshot", (ctx) => a.service.snapshot(ctx))).state).toBe("succeeded");
      await a.operator.shutdown();
      harness = undefined;

      // Node B has no blocks yet, but its finalizer has voted: its safety file is its own.
      const b = join(work, "b");
      const { raw: _raw, ...ours } = await writeSafety(join(b, "finalizers"));
      const h = await setup({ dataDir: b, recovery: { bootstrap } });
      const boot = h.operator.queue.list().find((j) => j.kind === "bootstrap");
      expect(boot?.error).toBeUndefined();
      expect(await look(join(b, "finalizers"))).toEqual(ours);
      expect(boot?.result).toMatchObject({ from: bootstrap, finalizer: { dir: join(b, "finalizers"), safetyFile: "kept", action: null } });
      expect(ours.bytes).not.toBe(theirs.bytes);
    },
  );

  it("a dirty recovery by restore-latest leaves safety.dat byte for byte as it was", async () => {
    const h = await setup();
    const fin = join(h.node.dataDir, "finalizers");
    await writeSafety(fin);
    expect((await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}))).state).toBe("succeeded");
    const { raw: _raw, ...before } = await writeSafety(fin);
    h.node.kill();
    await until(() => h.operator.queue.list().some((j) => j.kind === "recover" && j.state === "succeeded"), "the recovery job succeeds");
    expect(await look(fin)).toEqual(before);
    const job = h.operator.queue.list().find((j) => j.kind === "recover");
    expect(job?.result).toMatchObject({ step: "restore-latest", finalizer: { dir: fin, safetyFile: "kept" } });
  });

  it("a finalizers dir outside the data dir (finalizers-dir = /elsewhere) is recorded and never touched by a restore", async () => {
    const fin = join(work, "elsewhere", "finalizers");
    const h = await setup({ node: new FinalizersDirNode(join(work, "data"), fin) });
    const recorded = await writeSafety(fin);
    const made = await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}));
    const { raw: _raw, ...before } = await writeSafety(fin);
    const done = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "latest" }));
    expect(done.error).toBeUndefined();
    expect(await look(fin)).toEqual(before);
    const manifest = await h.backups.manifest(CHAIN_ID, (made.result as { name: string }).name);
    expect(manifest.finalizers?.dir).toBe(fin);
    expect(manifest.finalizers?.safetyFile?.chunks).toEqual([sha256(recorded.raw)]);
    expect((done.result as { finalizer: unknown }).finalizer).toEqual({ dir: fin, safetyFile: "kept", action: null });
  });

  it("a restore onto a node without a safety file leaves it absent and says a new finalizer key must be activated", async () => {
    const h = await setup();
    const fin = join(h.node.dataDir, "finalizers");
    await writeSafety(fin);
    expect((await runJob(h, "backup", (ctx) => h.service.backup(ctx, {}))).state).toBe("succeeded");
    await rm(fin, { recursive: true });

    const done = await runJob(h, "restore", (ctx) => h.service.restore(ctx, { backup: "latest" }));
    expect(done.error).toBeUndefined();
    expect(await look(fin)).toEqual({ bytes: undefined, mode: undefined, mtimeMs: undefined, dirMode: undefined, dirMtimeMs: undefined });
    expect((done.result as { finalizer: unknown }).finalizer).toEqual({ dir: fin, safetyFile: "absent", action: NEW_FINALIZER_KEY_ACTION });
    expect(done.log.some((l) => l.level === "warn" && l.message.includes("actfinkey"))).toBe(true);
    expect(h.warnings.some((w) => w.module === "backup-service" && w.action === NEW_FINALIZER_KEY_ACTION)).toBe(true);
  });
});

describe("the finalizer safety data in the engine", () => {
  it("a backup of the whole data dir leaves it out of its files; a restore of a backup that has it writes none of it", async () => {
    const store = openStore(`file://${join(work, "store")}`);
    const backups = new Backups({ chunkSize: 64 * 1024 }, { store });
    const data = join(work, "data");
    await writeTree(data, { "blocks/blocks.log": randomBytes(5000), "state/shared_memory.bin": randomBytes(3000) });
    const fin = join(data, "finalizers");
    const recorded = await writeSafety(fin);
    const location = locateFinalizers(data, "finalizers");
    const head = { num: 10, id: "0a".repeat(32) };
    const made = await backups.backup({ dataDir: data, chainId: CHAIN_ID, head, serverVersion: "v1.2.2", finalizers: location });
    expect(made.manifest.files.map((f) => f.path)).toEqual(["blocks/blocks.log", "state/shared_memory.bin"]);
    expect(made.manifest.finalizers?.safetyFile?.chunks).toEqual([sha256(recorded.raw)]);
    // A backup made without knowing of finalizers (as before they were recorded) has them among its files.
    const old = await backups.backup({ dataDir: data, chainId: CHAIN_ID, head: { ...head, num: 11 }, serverVersion: "v1.2.2", tag: "old" });
    expect(old.manifest.files.map((f) => f.path)).toContain("finalizers/safety.dat");

    const { raw: _raw, ...before } = await writeSafety(fin);
    await backups.restore({ dataDir: data, chainId: CHAIN_ID, name: old.name, keep: location.keep });
    expect(await look(fin)).toEqual(before);
    const fresh = join(work, "fresh");
    await backups.restore({ dataDir: fresh, chainId: CHAIN_ID, name: old.name, keep: locateFinalizers(fresh, "finalizers").keep });
    expect((await look(join(fresh, "finalizers"))).bytes).toBeUndefined();
  });

  it("a restore that cannot carry the finalizers dir into the restored data puts the previous data dir back whole", async () => {
    const store = openStore(`file://${join(work, "store")}`);
    const backups = new Backups({ chunkSize: 64 * 1024 }, { store });
    // The backup has a file where the node keeps its finalizers dir's parent (finalizers-dir = state/finalizers).
    const other = join(work, "other");
    await writeTree(other, { "blocks/blocks.log": randomBytes(3000), state: "a file, not a dir" });
    const made = await backups.backup({
      dataDir: other,
      chainId: CHAIN_ID,
      head: { num: 5, id: "05".repeat(32) },
      serverVersion: "v1.2.2",
    });
    const data = join(work, "data");
    await writeTree(data, { "blocks/blocks.log": "previous" });
    const { raw: _raw, ...before } = await writeSafety(join(data, "state", "finalizers"));
    const keep = locateFinalizers(data, "state/finalizers").keep;
    await expect(backups.restore({ dataDir: data, chainId: CHAIN_ID, name: made.name, keep })).rejects.toMatchObject({
      code: "BKP_ERR_RESTORE_SWAP",
    });
    expect(await look(join(data, "state", "finalizers"))).toEqual(before);
    expect(await readFile(join(data, "blocks", "blocks.log"), "utf8")).toBe("previous");
    // Neither a staging dir nor a swapped-out one is left beside the data dir.
    expect((await readdir(work)).sort()).toEqual(["data", "other", "store"]);
  });

  it("a restore killed after its swap, before it carried the finalizers over: the next start moves them back", async () => {
    // What the kill left: the restored data dir without finalizers, and the previous one holding the node's.
    const data = join(work, "data");
    await writeTree(data, { "blocks/blocks.log": "restored" });
    const old = join(work, "data.old-20260101T000000Z-abcdef");
    await writeTree(old, { "blocks/blocks.log": "previous" });
    const { raw: _raw, ...before } = await writeSafety(join(old, "finalizers"));
    const result = await cleanRestoreLeftovers(data, pino({ level: "silent" }), { keep: ["finalizers"] });
    expect(await look(join(data, "finalizers"))).toEqual(before);
    expect(result.carried).toEqual([{ path: "finalizers", from: old }]);
    expect(await readFile(join(data, "blocks", "blocks.log"), "utf8")).toBe("restored");
    expect(await lstat(old).catch(() => undefined)).toBeUndefined();
  });

  it("locates the finalizers dir as nodeos reads finalizers-dir: inside the data dir, outside it, or the data dir itself", () => {
    expect(locateFinalizers("/data", "finalizers")).toEqual({ dir: "/data/finalizers", keep: ["finalizers"] });
    expect(locateFinalizers("/data", "/data/state/fin")).toEqual({ dir: "/data/state/fin", keep: ["state/fin"] });
    expect(locateFinalizers("/data", "/elsewhere")).toEqual({ dir: "/elsewhere", keep: [] });
    expect(locateFinalizers("/data", "../data-fin")).toEqual({ dir: "/data-fin", keep: [] });
    expect(locateFinalizers("/data", ".")).toEqual({ dir: "/data", keep: ["safety.dat"] });
  });
});
