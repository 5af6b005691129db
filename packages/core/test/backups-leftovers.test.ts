import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Backups, configSchema, createBackupService, JobQueue, NodeWatch, openStore, Operator, ProxyGate } from "../src/index.js";
import { CHAIN_ID, FakeNode } from "./backups-fake-node.js";
import { randomChunks, writeTree } from "./support/backup-fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "support", "restore-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const CHUNK = 64 * 1024;

let work: string;
let operator: Operator | undefined;
let child: ChildProcess | undefined;
const lines: Record<string, unknown>[] = [];

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-leftovers-"));
  lines.length = 0;
});
afterEach(async () => {
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

// The daemon's backups part as serve.ts builds it (createBackupService), started by the operator: boot runs.
async function startDaemonBackups(node: FakeNode): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: "info" }, sink);
  const config = configSchema.parse({ storage: { url: `file://${join(work, "store")}`, chunkSize: CHUNK }, backup: { chainId: CHAIN_ID } });
  const gate = new ProxyGate();
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
}

// A backup of other data in the store, and the node's own data dir (blocks and a clean state file).
async function seed(): Promise<string> {
  await writeTree(join(work, "seed"), { "blocks/blocks.log": randomChunks(24, CHUNK), "state/shared_memory.bin": Buffer.alloc(CHUNK) });
  const backups = new Backups({ chunkSize: CHUNK }, { store: openStore(`file://${join(work, "store")}`) });
  await backups.backup({ dataDir: join(work, "seed"), chainId: CHAIN_ID, head: { num: 24, id: "seed" }, serverVersion: "v5", tag: "seed" });
  const dataDir = join(work, "data");
  await writeTree(dataDir, { "blocks/blocks.log": Buffer.alloc(64 * 5, 3), "state/shared_memory.bin": Buffer.alloc(1024 * 1024) });
  return dataDir;
}

async function killedRestore(dataDir: string): Promise<void> {
  const args = { storeUrl: `file://${join(work, "store")}`, dataDir, chainId: CHAIN_ID, chunkSize: CHUNK, pauseAfterChunks: 4 };
  const started = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
  child = started;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("PAUSED")) resolve();
    });
    started.once("exit", (code, signal) => reject(new Error(`restore child exited (${code ?? signal}) before pausing`)));
  });
  const exited = new Promise((resolve) => started.once("exit", resolve));
  started.kill("SIGKILL");
  await exited;
}

// The node runs on its own blocks (five blocks of 3s, grown since), not on the seed backup's.
async function ownBlocks(dataDir: string): Promise<boolean> {
  const log = await readFile(join(dataDir, "blocks", "blocks.log"));
  return log.length < 24 * CHUNK && log.subarray(0, 320).equals(Buffer.alloc(320, 3));
}

const leftovers = async () => (await readdir(work)).filter((e) => /^\.data\.restore-|^data\.old-/.test(e)).sort();

describe("what interrupted restores leave beside the data dir", () => {
  it("is removed when the backups service starts, before the node, and the log says what and how big", async () => {
    const dataDir = await seed();
    await killedRestore(dataDir);
    // and an earlier restore killed while it removed the previous data
    await writeTree(join(work, "data.old-20261130T101010Z-0a1b2c"), { "blocks/blocks.log": randomChunks(2, CHUNK) });
    const left = await leftovers();
    expect(left).toHaveLength(2);
    expect(left[0]).toMatch(/^\.data\.restore-\d{8}T\d{6}Z-[0-9a-f]{6}$/);

    const node = new FakeNode(dataDir);
    await startDaemonBackups(node);
    expect(await leftovers()).toEqual([]);
    expect(node.starts).toHaveLength(1);
    expect(await ownBlocks(dataDir)).toBe(true);
    const line = lines.find((l) => l.module === "backups" && String(l.msg).includes("interrupted restores"));
    expect(line?.level).toBe(30);
    const removed = line?.removed as { path: string; bytes: number }[];
    expect(removed.map((r) => r.path).sort()).toEqual(left.map((e) => join(work, e)).sort());
    // the killed restore had written at least its first chunks, the old dir two chunks
    expect(removed.every((r) => r.bytes >= 2 * CHUNK)).toBe(true);
    expect(line?.bytes).toBe(removed.reduce((sum, r) => sum + r.bytes, 0));
  });

  it("puts the previous data dir back when a restore was killed between its two renames", async () => {
    const dataDir = await seed();
    await killedRestore(dataDir);
    const [staging] = await leftovers();
    // killed after `data -> data.old-<stamp>`, before `staging -> data`
    await rename(dataDir, join(work, `data.old-${String(staging).slice(".data.restore-".length)}`));
    await mkdir(join(work, "unrelated.old-20261130T101010Z-0a1b2c"));
    await writeFile(join(work, ".data.restore-notastamp"), "not ours");

    const node = new FakeNode(dataDir);
    await startDaemonBackups(node);
    expect(await leftovers()).toEqual([".data.restore-notastamp"]);
    expect(existsSync(join(work, "unrelated.old-20261130T101010Z-0a1b2c"))).toBe(true);
    // the node started on its own data, not on a bootstrap from the store
    expect(node.starts).toHaveLength(1);
    expect(await ownBlocks(dataDir)).toBe(true);
    expect(lines.some((l) => l.level === 40 && String(l.msg).includes("put back"))).toBe(true);
  });
});
