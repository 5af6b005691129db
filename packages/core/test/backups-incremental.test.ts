import { randomBytes } from "node:crypto";
import { appendFile, mkdir, mkdtemp, open, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Backups, chunkKey, dataRanges, holdsData, openStore, type Store } from "../src/index.js";
import { fingerprint, writeTree } from "./support/backup-fixtures.js";

const KIB = 1024;
const MIB = 1024 * KIB;
const CHAIN = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906";
const head = (num: number) => ({ num, id: `${num.toString(16).padStart(8, "0")}${"ab".repeat(28)}` });

let work: string;
let data: string;
let store: Store;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-bkp-inc-"));
  data = join(work, "data");
  await mkdir(join(data, "state"), { recursive: true });
  store = openStore(`file://${join(work, "store")}`);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("holes and unchanged files", () => {
  it("finds a sparse file's data ranges and skips chunks lying in holes, restoring the same bytes", async () => {
    const path = join(data, "state", "shared_memory.bin");
    const handle = await open(path, "w");
    await handle.truncate(64 * MIB);
    await handle.write(randomBytes(100 * KIB), 0, 100 * KIB, 10 * MIB);
    await handle.write(randomBytes(4 * KIB), 0, 4 * KIB, 50 * MIB + 3 * KIB);
    await handle.sync();
    await handle.close();
    const ranges = await dataRanges(path);
    expect(ranges).toBeDefined();
    expect(holdsData(ranges ?? [], 10 * MIB, 10 * MIB + 1)).toBe(true);
    expect(holdsData(ranges ?? [], 20 * MIB, 40 * MIB)).toBe(false);
    expect(holdsData(ranges ?? [], 50 * MIB, 51 * MIB)).toBe(true);

    const backups = new Backups({ chunkSize: MIB }, { store });
    const result = await backups.backup({ dataDir: data, chainId: CHAIN, head: head(1), serverVersion: "v", tag: "t" });
    const stored = result.manifest.files[0]?.chunks.filter((c) => c !== null) ?? [];
    expect(stored).toHaveLength(2);
    await backups.restore({ dataDir: join(work, "restored"), chainId: CHAIN, name: result.name });
    expect(await fingerprint(join(work, "restored"))).toEqual(await fingerprint(data));
  });

  it("takes an unchanged file's chunks from the previous backup, and reads it again when a chunk is gone", async () => {
    await writeTree(data, { "blocks/blocks.log": randomBytes(3 * 64 * KIB), "state/other.bin": randomBytes(5 * KIB) });
    const backups = new Backups({ chunkSize: 64 * KIB }, { store });
    const request = (num: number) => ({ dataDir: data, chainId: CHAIN, head: head(num), serverVersion: "v", tag: "t" });
    const first = await backups.backup(request(1));
    const second = await backups.backup(request(2));
    expect(second.newBytes).toBe(0);
    expect(second.manifest.files).toEqual(first.manifest.files);
    // A chunk lost from the store (gc after retention): the file is read and the chunk uploaded again.
    const lost = first.manifest.files.find((f) => f.path === "blocks/blocks.log")?.chunks[1] as string;
    await unlink(join(work, "store", chunkKey(lost, "none")));
    const third = await backups.backup(request(3));
    expect(third.newBytes).toBe(64 * KIB);
    await backups.restore({ dataDir: join(work, "restored"), chainId: CHAIN, name: third.name });
    expect(await fingerprint(join(work, "restored"))).toEqual(await fingerprint(data));
  });

  it("reads only the new tail of a grown append-only file, and everything when its old part was rewritten", async () => {
    const log = join(data, "blocks", "blocks.log");
    await writeTree(data, { "blocks/blocks.log": randomBytes(4 * 64 * KIB + 10 * KIB) });
    const backups = new Backups({ chunkSize: 64 * KIB }, { store });
    const request = (num: number) => ({
      dataDir: data,
      chainId: CHAIN,
      head: head(num),
      serverVersion: "v",
      tag: "t",
      appendOnly: ["blocks/blocks.log"],
    });
    const first = await backups.backup(request(1));
    await appendFile(log, randomBytes(64 * KIB));
    const grown = await backups.backup(request(2));
    // Four complete chunks taken over; the partial fifth and the new sixth are read and uploaded.
    expect(grown.manifest.files[0]?.chunks.slice(0, 4)).toEqual(first.manifest.files[0]?.chunks.slice(0, 4));
    expect(grown.newBytes).toBe(4 * 64 * KIB + 10 * KIB + 64 * KIB - 4 * 64 * KIB);
    await backups.restore({ dataDir: join(work, "r1"), chainId: CHAIN, name: grown.name });
    expect(await fingerprint(join(work, "r1"))).toEqual(await fingerprint(data));

    // Not an append after all: the old part changed, so the file is read whole again.
    const bytes = randomBytes(7 * 64 * KIB);
    await writeFile(log, bytes);
    const rewritten = await backups.backup(request(3));
    expect(rewritten.newBytes).toBe(bytes.length);
    await backups.restore({ dataDir: join(work, "r2"), chainId: CHAIN, name: rewritten.name });
    expect(await fingerprint(join(work, "r2"))).toEqual(await fingerprint(data));
  });
});
