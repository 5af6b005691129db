import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Backups, openStore, type Store } from "../src/index.js";
import { keysUnder, randomChunks } from "./support/backup-fixtures.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const BACKUP_CHILD = join(here, "support", "backup-child.mjs");
const MARKER_CHILD = join(here, "support", "marker-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const CHUNK = 64 * 1024;
const CHAIN = "marker-chain";
const canUnshare = spawnSync("unshare", ["-rm", "true"]).status === 0;

let work: string;
let store: Store;
let child: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-markers-"));
  store = openStore(`file://${join(work, "store")}`);
  await mkdir(join(work, "data", "blocks"), { recursive: true });
  await writeFile(join(work, "data", "blocks", "blocks.log"), randomChunks(12, CHUNK));
});
afterEach(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(child.pid, "SIGKILL");
    await exited;
  }
  child = undefined;
  await rm(work, { recursive: true, force: true });
});

// Starts a backup in a child process and resolves once it is paused mid-run (its marker written, some chunks in).
async function pausedBackup(): Promise<ChildProcess> {
  const args = {
    storeUrl: `file://${join(work, "store")}`,
    dataDir: join(work, "data"),
    chainId: CHAIN,
    headNum: 5,
    chunkSize: CHUNK,
    pauseAfterChunks: 2,
  };
  const started = spawn(process.execPath, [BACKUP_CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
  child = started;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: started.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("PAUSED")) resolve();
    });
    started.once("exit", (code, signal) => reject(new Error(`backup child exited (${code ?? signal}) before pausing`)));
  });
  return started;
}

async function kill(process_: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => process_.once("exit", resolve));
  process_.kill("SIGKILL");
  await exited;
}

describe("backup markers", () => {
  it("blocks gc while its run lives, not once a later process got the killed run's pid (a restarted container's PID 1)", async () => {
    const backups = new Backups({ chunkSize: CHUNK }, { store });
    const running = await pausedBackup();
    await expect(backups.gc({ graceMs: 0 })).rejects.toMatchObject({ code: "BKP_ERR_BUSY" });
    await kill(running);
    const [key] = await keysUnder(store, "locks/");
    expect(key).toBeDefined();
    // The container restarts: the new manageos has the pid the killed one had (here: this test's own pid).
    const path = join(work, "store", ...String(key).split("/"));
    const marker = JSON.parse(await readFile(path, "utf8")) as { pid: number };
    await writeFile(path, JSON.stringify({ ...marker, pid: process.pid }));
    const gc = await backups.gc({ graceMs: 0 });
    expect(gc.removedMarkers).toBe(1);
    expect(gc.removedChunks).toBeGreaterThanOrEqual(2);
    expect(await keysUnder(store, "locks/")).toEqual([]);
    // and the next backup runs
    const next = await backups.backup({
      dataDir: join(work, "data"),
      chainId: CHAIN,
      head: { num: 9, id: "nine" },
      serverVersion: "v5",
      tag: "after",
    });
    expect(next.files).toBe(1);
  });

  it.skipIf(!canUnshare)("a backup that failed and could not delete its marker blocks no gc of the same process", async () => {
    await mkdir(join(work, "mnt"));
    const script = ["set -e", 'mount -t tmpfs tmpfs "$1"', 'exec "$2" "$3" "$1" "$4"'].join("; ");
    const { stdout } = await run(
      "unshare",
      ["-rm", "sh", "-c", script, "sh", join(work, "mnt"), process.execPath, MARKER_CHILD, join(work, "data")],
      {
        timeout: 60_000,
      },
    );
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(report.backup).toBe("STO_ERR_READ_ONLY");
    // The marker could not be deleted while the store was read-only ...
    expect(report.markersAfterFailure).toBe(1);
    // ... and this process knows the run is over: gc removes it with the failed run's chunks.
    expect(report.gc).toMatchObject({ removedMarkers: 1 });
    expect((report.gc as { removedChunks: number }).removedChunks).toBeGreaterThanOrEqual(1);
    expect(report.markersAfterGc).toBe(0);
  });
});
