import { cp, lstat, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Backups, MANIFEST_FORMAT, MANIFEST_FORMAT_V1, manifestKey, openStore, type Store } from "../src/index.js";
import { fingerprint, storedChunks } from "./support/backup-fixtures.js";
import { V1_CHAIN, V1_CHUNK, V1_MTIME, V1_STATE_REGIONS, V1_STATE_SIZE, writeV1Data } from "./support/v1-data.js";

const here = dirname(fileURLToPath(import.meta.url));
// A store written by manageos 0.1.0 (manifest format 1), from the data dir of support/v1-data.ts.
const FIXTURE = join(here, "fixtures", "backup-v1");
const V1_NAME = "0000000042-20250506T080000Z-v1";

describe("backups of manifest format 1", () => {
  let work: string;
  let store: Store;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), "manageos-format-"));
    await cp(FIXTURE, join(work, "store"), { recursive: true });
    store = openStore(`file://${join(work, "store")}`);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("restore as they were written: bytes, modes, mtimes, empty files and dirs, holes", async () => {
    const backups = new Backups({}, { store });
    const manifest = await backups.manifest(V1_CHAIN, V1_NAME);
    expect(manifest.format).toBe(MANIFEST_FORMAT_V1);
    await writeV1Data(join(work, "expected"));
    const restored = await backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name: "latest" });
    expect(restored.name).toBe(V1_NAME);
    expect(await fingerprint(join(work, "data"))).toEqual(await fingerprint(join(work, "expected")));
    for (const path of ["blocks/blocks.log", "config.ini", "empty.txt", "state/shared_memory.bin"]) {
      expect((await stat(join(work, "data", path))).mtime.toISOString()).toBe(V1_MTIME.toISOString());
    }
    expect((await lstat(join(work, "data", "snapshots"))).isDirectory()).toBe(true);
    const state = await stat(join(work, "data", "state", "shared_memory.bin"));
    expect(state.size).toBe(V1_STATE_SIZE);
    // two 64 KiB chunks were stored whole; each restores as the 64 KiB stretch that holds its region
    expect(state.blocks * 512).toBeLessThanOrEqual(V1_STATE_REGIONS.length * 64 * 1024);
  });

  it("are the previous backup of a new one, which takes their chunks over and restores the same", async () => {
    const backups = new Backups({ chunkSize: V1_CHUNK }, { store });
    await backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name: V1_NAME });
    const before = await storedChunks(store);
    const made = await backups.backup({
      dataDir: join(work, "data"),
      chainId: V1_CHAIN,
      head: { num: 43, id: "x" },
      serverVersion: "v5",
      tag: "v2",
    });
    expect(made.manifest.format).toBe(MANIFEST_FORMAT);
    // every file kept its size, mtime and mode: nothing read, nothing uploaded, the old chunks referenced
    expect(made.manifest.totals.newChunks).toBe(0);
    expect(await storedChunks(store)).toEqual(before);
    const expected = await fingerprint(join(work, "data"));
    await rm(join(work, "data"), { recursive: true });
    await backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name: made.name });
    expect(await fingerprint(join(work, "data"))).toEqual(expected);
  });

  it("of a format this version does not know are refused with BKP_ERR_MANIFEST_VERSION, the data dir untouched", async () => {
    const backups = new Backups({}, { store });
    await backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name: V1_NAME });
    const before = await fingerprint(join(work, "data"));
    const newer = JSON.parse(await readFile(join(work, "store", manifestKey(V1_CHAIN, V1_NAME)), "utf8")) as Record<string, unknown>;
    const name = "0000000050-20250507T000000Z-future";
    await store.put(manifestKey(V1_CHAIN, name), JSON.stringify({ ...newer, name, format: "manageos-backup/99" }));
    await expect(backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name })).rejects.toMatchObject({
      code: "BKP_ERR_MANIFEST_VERSION",
      message: expect.stringContaining("manageos-backup/99"),
    });
    expect(await fingerprint(join(work, "data"))).toEqual(before);
    // a listing leaves it out, and `latest` falls back past it to the backup this version reads
    expect((await backups.list({ chainId: V1_CHAIN })).map((b) => b.name)).toEqual([V1_NAME]);
    const latest = await backups.restore({ dataDir: join(work, "data"), chainId: V1_CHAIN, name: "latest" });
    expect(latest).toMatchObject({ name: V1_NAME, fallbacks: [{ name, code: "BKP_ERR_MANIFEST_VERSION" }] });
  });
});
