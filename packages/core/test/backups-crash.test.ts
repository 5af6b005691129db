import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Backups, chunkKey, openStore, type Store } from "../src/index.js";
import { type GcsEmulator, startGcsEmulator } from "./support/gcs-emulator.js";
import { fingerprint, keysUnder, randomChunks, storedChunks } from "./support/backup-fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "support", "backup-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const CHUNK = 256 * 1024;
const CHAIN = "crash-chain";

// Resolves with the first stdout line starting with `prefix`; rejects if the child exits first.
function lineFrom(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) throw new Error("no stdout");
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (line.startsWith(prefix)) resolve(line);
    });
    child.once("exit", (code, signal) => reject(new Error(`child exited (${code ?? signal}) before "${prefix}"`)));
  });
}

describe.each(["file", "gs"] as const)("a backup killed with SIGKILL on %s://", (kind) => {
  let emulator: GcsEmulator | undefined;
  let work: string;
  let storeUrl: string;
  let store: Store;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
    if (kind === "gs") emulator = await startGcsEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "manageos-crash-"));
    storeUrl = kind === "file" ? `file://${join(work, "store")}` : `gs://manageos-test/${randomBytes(6).toString("hex")}`;
    store = openStore(storeUrl, emulator === undefined ? {} : { apiEndpoint: emulator.endpoint });
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

  it("leaves no manifest, the listing unchanged, a working next backup, and orphans that gc removes", async () => {
    const dataDir = join(work, "data");
    await mkdir(join(dataDir, "blocks"), { recursive: true });
    await writeFile(join(dataDir, "blocks", "blocks.log"), randomChunks(4, CHUNK));
    const backups = new Backups({ chunkSize: CHUNK, parallel: 2 }, { store });
    const first = await backups.backup({ dataDir, chainId: CHAIN, head: { num: 10, id: "first" }, serverVersion: "v5", tag: "before" });
    const listed = await backups.list({ chainId: CHAIN });
    const chunksBefore = await storedChunks(store);

    // new data the killed run will have uploaded part of
    await writeFile(join(dataDir, "blocks", "blocks.log"), randomChunks(40, CHUNK));
    const args = { storeUrl, apiEndpoint: emulator?.endpoint, dataDir, chainId: CHAIN, headNum: 20, chunkSize: CHUNK, pauseAfterChunks: 3 };
    child = spawn(process.execPath, [CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
    const paused = await lineFrom(child, "PAUSED");
    expect(Number(paused.split(" ")[1])).toBeGreaterThanOrEqual(3);
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child?.once("exit", (_code, signal) => resolve(signal)));
    process.kill(child.pid ?? 0, "SIGKILL");
    expect(await exited).toBe("SIGKILL");

    // the killed backup does not exist: no manifest, same listing; its chunks are orphans
    expect(await keysUnder(store, `backups/${CHAIN}/`)).toEqual([`backups/${CHAIN}/${first.name}.json`]);
    expect(await backups.list({ chainId: CHAIN })).toEqual(listed);
    const afterKill = await storedChunks(store);
    const orphans = [...afterKill.keys()].filter((k) => !chunksBefore.has(k));
    expect(orphans.length).toBeGreaterThanOrEqual(3);
    expect(orphans.length).toBeLessThan(40);
    expect(await keysUnder(store, "locks/")).toHaveLength(1);

    // the node moved on: the next backup covers different data and works
    await writeFile(join(dataDir, "blocks", "blocks.log"), randomChunks(5, CHUNK));
    const expected = await fingerprint(dataDir);
    const next = await backups.backup({ dataDir, chainId: CHAIN, head: { num: 30, id: "next" }, serverVersion: "v5", tag: "after" });
    expect(next.newBytes).toBe(5 * CHUNK);
    expect((await backups.list({ chainId: CHAIN })).map((b) => b.name)).toEqual([next.name, first.name]);

    // gc removes exactly the orphans and the dead run's marker
    const gc = await backups.gc({ graceMs: 0 });
    expect(gc.removedChunks).toBe(orphans.length);
    expect(gc.removedMarkers).toBe(1);
    const left = await storedChunks(store);
    for (const key of orphans) expect(left.has(key)).toBe(false);
    const referenced = new Set(
      [first.manifest, next.manifest].flatMap((m) =>
        m.files.flatMap((f) => f.chunks.flatMap((c) => (c === null ? [] : [chunkKey(c, "none")]))),
      ),
    );
    expect(new Set(left.keys())).toEqual(referenced);
    expect(await keysUnder(store, "locks/")).toEqual([]);
    if (kind === "file") expect(await keysUnder(openStore(`file://${join(work, "store", ".tmp")}`), "")).toEqual([]);

    await rm(dataDir, { recursive: true });
    await backups.restore({ dataDir, chainId: CHAIN, name: "latest" });
    expect(await fingerprint(dataDir)).toEqual(expected);
  });
});
