import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, open, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Backups, openStore, type Store } from "../src/index.js";
import { fingerprint, storedChunkBytes, storedChunks } from "./support/backup-fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));
const RESTORE_CHILD = join(here, "support", "restore-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const KIB = 1024;
const MIB = 1024 * KIB;
const CHAIN = "packing-chain";
const PAGE = 4096;

let work: string;
let store: Store;
let child: ChildProcess | undefined;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-packing-"));
  store = openStore(`file://${join(work, "store")}`);
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

const head = (num: number) => ({ num, id: `${num.toString(16).padStart(8, "0")}${"ab".repeat(28)}` });

// sha256 of a file read whole, holes and all.
async function fileHash(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    for await (const piece of handle.createReadStream({ highWaterMark: 4 * MIB })) hash.update(piece as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

// Every file's mtime under `dir` to the millisecond (what a backup records), by relative path.
async function mtimes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = Math.floor((await stat(path)).mtimeMs);
  }
  return out;
}

describe("a sparse state file, with the default chunk size", () => {
  it("stores its data pages only (at most 1.05x the data) and restores bytes identical, holes as holes", async () => {
    const dataDir = join(work, "data");
    const path = join(dataDir, "state", "shared_memory.bin");
    await mkdir(dirname(path), { recursive: true });
    const size = 512 * MIB;
    const handle = await open(path, "w");
    // 8 MiB of data not aligned to a chunk, 24 scattered pages (one across a chunk boundary), the rest a hole.
    const pages = [
      16 * MIB - PAGE / 2,
      ...Array.from({ length: 23 }, (_, i) => Math.floor(((i + 1) * size) / 25 / PAGE) * PAGE + 7 * PAGE),
    ];
    try {
      await handle.truncate(size);
      await handle.write(randomBytes(8 * MIB), 0, 8 * MIB, 3 * MIB);
      for (const at of pages) await handle.write(randomBytes(PAGE), 0, PAGE, at);
    } finally {
      await handle.close();
    }
    // What holds data, counted in whole pages: the 8 MiB (page aligned), 22 pages, and the page across the boundary as two.
    const dataPages = 8 * MIB + (pages.length - 1) * PAGE + 2 * PAGE;
    const backups = new Backups({}, { store });
    const made = await backups.backup({ dataDir, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "sparse" });
    expect(made.manifest.chunkSize).toBe(16 * MIB);
    expect(made.manifest.compression).toBe("none");
    expect(made.dataBytes).toBe(dataPages);
    const stored = await storedChunkBytes(store);
    expect(stored).toBe(dataPages);
    expect(stored / dataPages).toBeLessThanOrEqual(1.05);

    const restoredDir = join(work, "restored");
    await backups.restore({ dataDir: restoredDir, chainId: CHAIN, name: made.name });
    const restored = join(restoredDir, "state", "shared_memory.bin");
    expect((await stat(restored)).size).toBe(size);
    expect(await fileHash(restored)).toBe(await fileHash(path));
    // ext4 and xfs keep the holes: what is allocated is the data pages, not the chunks around them
    expect((await stat(restored)).blocks * 512).toBeLessThanOrEqual(dataPages * 1.05);
  });
});

describe("many small files", () => {
  // 3000 files of 1 to 8 KiB over 30 dirs, with modes and mtimes of their own, an empty file, and files at the pack limit.
  async function writeSmallFiles(dataDir: string, limit: number): Promise<void> {
    for (let i = 0; i < 3000; i++) {
      const path = join(dataDir, `d${i % 30}`, `f${i}.bin`);
      if (i < 30) await mkdir(dirname(path), { recursive: true });
      await writeFile(path, randomBytes(KIB + ((i * 2654435761) % (7 * KIB))));
      await chmod(path, [0o600, 0o640, 0o644, 0o755][i % 4] as number);
      const at = new Date(Date.UTC(2024, 0, 1) + i * 1_000_123);
      await utimes(path, at, at);
    }
    await writeFile(join(dataDir, "empty"), "");
    await writeFile(join(dataDir, "at-limit"), randomBytes(limit));
    await writeFile(join(dataDir, "over-limit"), randomBytes(limit + 1));
  }

  it("are packed into a few chunks and restore with their bytes, modes and mtimes; a changed one is packed anew alone", async () => {
    const dataDir = join(work, "data");
    await writeSmallFiles(dataDir, MIB);
    const backups = new Backups({}, { store });
    const made = await backups.backup({ dataDir, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "small" });
    const packed = made.manifest.files.filter((f) => f.packOffset !== undefined);
    expect(packed).toHaveLength(3001);
    expect(made.manifest.files.find((f) => f.path === "over-limit")?.packOffset).toBeUndefined();
    const packs = new Set(packed.map((f) => f.chunks[0]));
    // about 14.5 MiB of small files: a pack or two of 16 MiB, and the file over the limit in a chunk of its own
    expect(packs.size).toBeLessThanOrEqual(2);
    expect(made.manifest.totals.newChunks).toBe(packs.size + 1);
    expect(await storedChunkBytes(store)).toBe(made.sizeBytes);

    const restoredDir = join(work, "restored");
    await backups.restore({ dataDir: restoredDir, chainId: CHAIN, name: made.name });
    expect(await fingerprint(restoredDir)).toEqual(await fingerprint(dataDir));
    expect(await mtimes(restoredDir)).toEqual(await mtimes(dataDir));

    // one file changes: only it is read and stored again, in a pack of its own; the others keep theirs
    await writeFile(join(dataDir, "d7", "f7.bin"), randomBytes(3000));
    const next = await backups.backup({ dataDir, chainId: CHAIN, head: head(2), serverVersion: "v5", tag: "small" });
    expect(next.manifest.totals.newChunks).toBe(1);
    expect(next.newBytes).toBe(3000);
    const before = new Map(made.manifest.files.map((f) => [f.path, f]));
    const moved = next.manifest.files.filter((f) => JSON.stringify(f) !== JSON.stringify(before.get(f.path)));
    expect(moved.map((f) => f.path)).toEqual(["d7/f7.bin"]);
    await rm(restoredDir, { recursive: true });
    await backups.restore({ dataDir: restoredDir, chainId: CHAIN, name: next.name });
    expect(await fingerprint(restoredDir)).toEqual(await fingerprint(dataDir));
  });

  it("restore where sync(1) cannot run, each file and directory fsynced instead", async () => {
    const dataDir = join(work, "data");
    await writeSmallFiles(dataDir, MIB);
    const backups = new Backups({}, { store });
    const made = await backups.backup({ dataDir, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "small" });
    const path = process.env.PATH;
    // No sync(1) to be found: the restore falls back to an fsync per file and directory.
    process.env.PATH = join(work, "no-such-dir");
    try {
      await backups.restore({ dataDir: join(work, "restored"), chainId: CHAIN, name: made.name });
    } finally {
      process.env.PATH = path;
    }
    expect(await fingerprint(join(work, "restored"))).toEqual(await fingerprint(dataDir));
    expect(await mtimes(join(work, "restored"))).toEqual(await mtimes(dataDir));
  });

  it("restored by a process killed on the way leave the data dir as it was, and the next restore completes", async () => {
    const chunk = 64 * KIB;
    const source = join(work, "source");
    await writeSmallFiles(source, chunk / 16);
    const backups = new Backups({ chunkSize: chunk }, { store });
    const made = await backups.backup({ dataDir: source, chainId: CHAIN, head: head(1), serverVersion: "v5", tag: "small" });
    expect(new Set(made.manifest.files.map((f) => f.chunks[0])).size).toBeGreaterThan(100);
    const dataDir = join(work, "data");
    await mkdir(dataDir);
    await writeFile(join(dataDir, "the-node-s-own"), "kept until a restore completes");
    const own = await fingerprint(dataDir);

    const args = { storeUrl: `file://${join(work, "store")}`, dataDir, chainId: CHAIN, chunkSize: chunk, pauseAfterChunks: 1000 };
    const started = spawn(process.execPath, [RESTORE_CHILD, JSON.stringify(args)], { stdio: ["ignore", "pipe", "inherit"] });
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

    // the staging dir holds part of the files; the data dir is untouched
    expect(await fingerprint(dataDir)).toEqual(own);
    const staging = (await readdir(work)).filter((name) => name.startsWith(".data.restore-"));
    expect(staging).toHaveLength(1);
    const written = (await readdir(join(work, staging[0] as string), { recursive: true })).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(30 + 3003);

    await backups.restore({ dataDir, chainId: CHAIN, name: made.name });
    expect(await fingerprint(dataDir)).toEqual(await fingerprint(source));
    expect(await mtimes(dataDir)).toEqual(await mtimes(source));
  });
});

describe("stored bytes", () => {
  it("of a dense file with a stretch of zeros leave the stretch out, and of a grown append-only one take the old chunks over", async () => {
    const chunk = 1 * MIB;
    const dataDir = join(work, "data");
    await mkdir(join(dataDir, "blocks"), { recursive: true });
    // chunk 1 has 512 KiB of zeros in its middle, written (not a hole)
    const log = Buffer.concat([randomBytes(chunk + 256 * KIB), Buffer.alloc(512 * KIB), randomBytes(256 * KIB + 100)]);
    await writeFile(join(dataDir, "blocks", "blocks.log"), log);
    const backups = new Backups({ chunkSize: chunk }, { store });
    const request = (num: number) => ({
      dataDir,
      chainId: CHAIN,
      head: head(num),
      serverVersion: "v5",
      tag: "log",
      appendOnly: ["blocks/blocks.log"],
    });
    const first = await backups.backup(request(1));
    expect(first.newBytes).toBe(log.length - 512 * KIB);
    expect(first.manifest.files[0]?.sparse).toEqual({
      "1": [
        [0, 256 * KIB],
        [768 * KIB, chunk],
      ],
    });

    // it grows by a chunk: chunk 1 is re-read and matches, chunks 0 and 1 are taken over with their stretches
    const grown = randomBytes(chunk);
    await writeFile(join(dataDir, "blocks", "blocks.log"), Buffer.concat([log, grown]));
    const chunksBefore = (await storedChunks(store)).size;
    const second = await backups.backup(request(2));
    expect(second.manifest.files[0]?.chunks.slice(0, 2)).toEqual(first.manifest.files[0]?.chunks.slice(0, 2));
    expect(second.manifest.files[0]?.sparse).toEqual(first.manifest.files[0]?.sparse);
    expect(second.newBytes).toBe(chunk + 100);
    expect((await storedChunks(store)).size).toBe(chunksBefore + 2);

    const restoredDir = join(work, "restored");
    await backups.restore({ dataDir: restoredDir, chainId: CHAIN, name: second.name });
    expect(await fingerprint(restoredDir)).toEqual(await fingerprint(dataDir));
  });
});
