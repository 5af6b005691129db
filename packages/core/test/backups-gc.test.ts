import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Backups,
  chunkKey,
  clientCommands,
  configSchema,
  createApiServer,
  createBackupService,
  JobQueue,
  type JobRecord,
  NodeBackupService,
  NodeWatch,
  openStore,
  Operator,
  ProxyGate,
  runCli,
  type Store,
} from "../src/index.js";
import { CHAIN_ID, FakeNode } from "./backups-fake-node.js";
import { randomChunks, writeTree } from "./support/backup-fixtures.js";

const logger = pino({ level: "silent" });
const here = dirname(fileURLToPath(import.meta.url));
const BACKUP_CHILD = join(here, "support", "backup-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const CHUNK = 64 * 1024;
const HOUR = 3_600_000;
const VARIANT = { name: "eos", bin: "manageos-eos", description: "test", defaults: {} };

let work: string;
let storeDir: string;
let store: Store;
let operator: Operator | undefined;
let app: FastifyInstance | undefined;
let child: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-gc-"));
  storeDir = join(work, "store");
  store = openStore(`file://${storeDir}`);
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await operator?.shutdown();
  operator = undefined;
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
  child = undefined;
  await rm(work, { recursive: true, force: true });
});

// Every file under the store: relative path -> size.
async function storeFiles(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.set(relative(storeDir, path), (await stat(path)).size);
    }
  }
  await walk(storeDir);
  return out;
}

async function age(key: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  await utimes(join(storeDir, ...key.split("/")), when, when);
}

interface Garbage {
  /** Chunks the stored backup uses: never removed. */
  live: Set<string>;
  /** What gc must remove: orphan chunks and partial uploads (aged past the grace period) and the killed run's marker. */
  orphans: string[];
  partials: string[];
  markers: string[];
  /** An orphan younger than the grace period: kept. */
  young: string;
}

// A store with one backup, and what a backup killed with SIGKILL leaves: orphan chunks, its marker, a partial upload.
async function garbage(): Promise<Garbage> {
  const dataDir = join(work, "data");
  await writeTree(dataDir, { "blocks/blocks.log": randomChunks(4, CHUNK) });
  const backups = new Backups({ chunkSize: CHUNK }, { store });
  const kept = await backups.backup({ dataDir, chainId: CHAIN_ID, head: { num: 10, id: "kept" }, serverVersion: "v5", tag: "kept" });
  const live = new Set(kept.manifest.files.flatMap((f) => f.chunks.flatMap((c) => (c === null ? [] : [chunkKey(c, "none")]))));

  await writeTree(dataDir, { "blocks/blocks.log": randomChunks(30, CHUNK) });
  const args = { storeUrl: `file://${storeDir}`, dataDir, chainId: CHAIN_ID, headNum: 20, chunkSize: CHUNK, pauseAfterChunks: 3 };
  const started = spawn(process.execPath, [BACKUP_CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
  child = started;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("PAUSED")) resolve();
    });
    started.once("exit", (code, signal) => reject(new Error(`backup child exited (${code ?? signal}) before pausing`)));
  });
  const exited = new Promise((resolve) => started.once("exit", resolve));
  started.kill("SIGKILL");
  await exited;

  const files = [...(await storeFiles()).keys()];
  const orphans = files.filter((k) => k.startsWith("chunks/") && !live.has(k)).sort();
  const markers = files.filter((k) => k.startsWith("locks/"));
  // a writer killed mid-put, long ago; and the killed run's temp files, if it left any
  await mkdir(join(storeDir, ".tmp"), { recursive: true });
  await writeFile(join(storeDir, ".tmp", "4242-0123456789abcdef"), "partial upload");
  const partials = (await readdir(join(storeDir, ".tmp"))).map((n) => `.tmp/${n}`).sort();
  for (const key of [...orphans, ...partials]) await age(key, 2 * HOUR);
  // one more orphan, just written: younger than the grace period
  const young = chunkKey("ab".repeat(32), "none");
  await mkdir(join(storeDir, dirname(young)), { recursive: true });
  await writeFile(join(storeDir, young), "young");
  expect(orphans.length).toBeGreaterThanOrEqual(3);
  expect(markers).toHaveLength(1);
  return { live, orphans, partials, markers, young };
}

// The node, its operator and backup service, and the operator API on a real listener (port 0).
async function daemon(): Promise<string> {
  const node = new FakeNode(join(work, "node"));
  const gate = new ProxyGate();
  const backups = new Backups({ chunkSize: CHUNK }, { store, logger });
  const queue = new JobQueue({ stateDir: join(work, "state") }, { logger });
  const watch = new NodeWatch(
    { stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, gate, logger },
  );
  const service = new NodeBackupService(
    { tag: "manual", snapshotsKeepLast: 2, bpMode: false },
    { backups, store, chain: node, gate, node: watch, logger },
  );
  operator = new Operator(
    { app: "test", stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
    { chain: node, queue, node: watch, gate, logger, backups: service },
  );
  await operator.start();
  app = await createApiServer({}, { operator, registry: new Registry(), logger });
  return app.listen({ host: "127.0.0.1", port: 0 });
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(VARIANT, argv, {
    commands: [clientCommands],
    io: { out: (t) => (out += t), err: (t) => (err += t), env: {} },
  });
  return { code, out, err };
}

describe("gc", () => {
  it("gc lists orphan chunks, partial uploads and left-over markers and removes nothing; gc --apply removes exactly them", async () => {
    const g = await garbage();
    const api = await daemon();
    const before = await storeFiles();

    const dry = await cli(["gc", "--api", api]);
    expect(dry.err).not.toMatch(/error/i);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`dry run: would remove ${g.orphans.length} orphan chunks (${g.orphans.length * CHUNK} bytes)`);
    for (const key of [...g.orphans, ...g.partials, ...g.markers]) expect(dry.out).toContain(key);
    expect(dry.out).not.toContain(g.young);
    for (const key of g.live) expect(dry.out).not.toContain(key);
    expect(dry.out).toContain("run gc --apply to remove them");
    expect(await storeFiles()).toEqual(before);

    const json = await cli(["gc", "--api", api, "--json"]);
    const job = JSON.parse(json.out) as JobRecord & { result: { dryRun: boolean; orphans: { key: string }[]; markers: string[] } };
    expect(job.kind).toBe("gc");
    expect(job.result.dryRun).toBe(true);
    expect(job.result.orphans.map((o) => o.key).sort()).toEqual(g.orphans);
    expect(await storeFiles()).toEqual(before);

    const applied = await cli(["gc", "--apply", "--api", api]);
    expect(applied.code).toBe(0);
    expect(applied.out).toContain(`removed ${g.orphans.length} orphan chunks`);
    const after = await storeFiles();
    const gone = [...before.keys()].filter((k) => !after.has(k)).sort();
    expect(gone).toEqual([...g.orphans, ...g.partials, ...g.markers].sort());
    for (const key of g.live) expect(after.has(key)).toBe(true);
    expect(after.has(g.young)).toBe(true);
    // the backup still restores
    const restored = await new Backups({ chunkSize: CHUNK }, { store }).restore({
      dataDir: join(work, "restored"),
      chainId: CHAIN_ID,
      name: "latest",
    });
    expect(restored.files).toBe(1);

    // the route: a dry run unless apply=true
    const res = await fetch(`${api}/v1/gc?sync=true`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { dryRun: boolean; removedChunks: number } }).result).toMatchObject({
      dryRun: true,
      removedChunks: 0,
    });
  });

  it("runs on the schedule of backup.gcEvery, applied", async () => {
    const g = await garbage();
    const node = new FakeNode(join(work, "node"));
    const gate = new ProxyGate();
    const config = configSchema.parse({
      storage: { url: `file://${storeDir}`, chunkSize: CHUNK },
      backup: { gcEvery: "100ms", chainId: CHAIN_ID },
    });
    expect(configSchema.parse({}).backup.gcEvery).toBe(24 * HOUR);
    const queue = new JobQueue({ stateDir: join(work, "state") }, { logger });
    const watch = new NodeWatch(
      { stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
      { chain: node, gate, logger },
    );
    const service = createBackupService(config, { logger, registry: new Registry(), chain: node, gate, jobs: queue, node: watch });
    operator = new Operator(
      { app: "test", stateDir: join(work, "state"), syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
      { chain: node, queue, node: watch, gate, logger, backups: service, recovery: service.recovery },
    );
    await operator.start();
    const deadline = Date.now() + 15_000;
    let done: JobRecord | undefined;
    while (done === undefined) {
      if (Date.now() > deadline) throw new Error("no scheduled gc ran");
      done = operator.queue.list(50).find((j) => j.kind === "gc" && j.state === "succeeded");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(done.result).toMatchObject({ dryRun: false, removedChunks: g.orphans.length, removedMarkers: 1 });
    const after = await storeFiles();
    for (const key of [...g.orphans, ...g.partials, ...g.markers]) expect(after.has(key)).toBe(false);
    for (const key of g.live) expect(after.has(key)).toBe(true);
  });
});
