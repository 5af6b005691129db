import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  Backups,
  backupName,
  chunkKey,
  createBackupMetrics,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_V1,
  openStore,
  parseBackupName,
  parseChunkKey,
  parseManifest,
  snapshotName,
} from "../src/index.js";

describe("backup names and keys", () => {
  it("names a backup by zero-padded head, UTC time and tag, and parses it back", () => {
    const at = new Date("2025-06-07T08:09:10.123Z");
    const name = backupName(1234, at, "nightly-2");
    expect(name).toBe("0000001234-20250607T080910Z-nightly-2");
    expect(parseBackupName(name)).toEqual({ headNum: 1234, createdAt: new Date("2025-06-07T08:09:10Z"), tag: "nightly-2" });
    expect(parseBackupName("1234-20250607T080910Z-x")).toBeUndefined();
    expect(() => backupName(1, at, "Bad Tag")).toThrow(expect.objectContaining({ code: "BKP_ERR_ARGS" }));
  });

  it("spreads chunks over two-hex-digit folders and marks compressed ones", () => {
    const hash = "ab".repeat(32);
    expect(chunkKey(hash, "none")).toBe(`chunks/ab/${hash}`);
    expect(chunkKey(hash, "gzip")).toBe(`chunks/ab/${hash}.gz`);
    expect(parseChunkKey(chunkKey(hash, "gzip"))).toBe(hash);
    expect(chunkKey(hash, "zstd")).toBe(`chunks/ab/${hash}.zst`);
    expect(parseChunkKey(chunkKey(hash, "zstd"))).toBe(hash);
    expect(parseChunkKey(`chunks/cd/${hash}`)).toBeUndefined();
    expect(snapshotName(42, "00002a")).toBe("0000000042-00002a");
    expect(() => snapshotName(42, "../x")).toThrow(expect.objectContaining({ code: "BKP_ERR_ARGS" }));
  });
});

describe("manifest validation", () => {
  const valid = {
    format: MANIFEST_FORMAT,
    name: "0000000001-20250101T000000Z-t",
    chainId: "c",
    head: { num: 1, id: "x" },
    serverVersion: "v",
    tag: "t",
    toolVersion: "0.1.0",
    createdAt: "2025-01-01T00:00:00.000Z",
    durationSeconds: 1,
    chunkSize: 4096,
    compression: "none",
    dirs: [],
    files: [{ path: "a/b", size: 5000, mode: 0o644, mtimeMs: 1, chunks: ["ab".repeat(32), null] }],
    totals: { files: 1, bytes: 5000, dataBytes: 4096, chunks: 2, newChunks: 1, newBytes: 4096 },
  };

  it("accepts a well-formed manifest", () => {
    expect(parseManifest("k", Buffer.from(JSON.stringify(valid))).files[0]?.chunks).toHaveLength(2);
  });

  it("rejects paths escaping the data dir, wrong chunk counts, bad hashes and non-JSON", () => {
    const cases = [
      { ...valid, files: [{ ...valid.files[0], path: "../etc/passwd" }] },
      { ...valid, files: [{ ...valid.files[0], chunks: ["ab".repeat(32)] }] },
      { ...valid, files: [{ ...valid.files[0], chunks: ["XYZ", null] }] },
      // sparse stretches of a chunk not stored, past the chunk's end, or out of order
      { ...valid, files: [{ ...valid.files[0], sparse: { "1": [[0, 4096]] } }] },
      { ...valid, files: [{ ...valid.files[0], sparse: { "0": [[0, 8192]] } }] },
      {
        ...valid,
        files: [
          {
            ...valid.files[0],
            sparse: {
              "0": [
                [2048, 4096],
                [0, 1024],
              ],
            },
          },
        ],
      },
      // a packed file has one stored chunk
      { ...valid, files: [{ ...valid.files[0], packOffset: 0 }] },
      // format 1 knows neither
      { ...valid, format: MANIFEST_FORMAT_V1, files: [{ ...valid.files[0], sparse: { "0": [[0, 1024]] } }] },
      { ...valid, format: MANIFEST_FORMAT_V1, files: [{ ...valid.files[0], size: 10, chunks: ["ab".repeat(32)], packOffset: 4 }] },
    ];
    for (const bad of cases) {
      expect(() => parseManifest("k", Buffer.from(JSON.stringify(bad)))).toThrow(
        expect.objectContaining({ code: "BKP_ERR_MANIFEST_INVALID" }),
      );
    }
    expect(() => parseManifest("k", Buffer.from("{not json"))).toThrow(expect.objectContaining({ code: "BKP_ERR_MANIFEST_INVALID" }));
  });

  it("reads format 1 and 2 with their own fields, and refuses a format it does not know with a code of its own", () => {
    const v2 = {
      ...valid,
      files: [
        {
          ...valid.files[0],
          sparse: {
            "0": [
              [0, 1024],
              [2048, 4096],
            ],
          },
        },
      ],
    };
    expect(parseManifest("k", Buffer.from(JSON.stringify(v2))).files[0]?.sparse).toEqual({
      "0": [
        [0, 1024],
        [2048, 4096],
      ],
    });
    const packed = { ...valid, files: [{ ...valid.files[0], size: 10, chunks: ["ab".repeat(32)], packOffset: 4 }] };
    expect(parseManifest("k", Buffer.from(JSON.stringify(packed))).files[0]?.packOffset).toBe(4);
    expect(parseManifest("k", Buffer.from(JSON.stringify({ ...valid, format: MANIFEST_FORMAT_V1 }))).format).toBe(MANIFEST_FORMAT_V1);
    for (const format of ["manageos-backup/3", "other/1"]) {
      expect(() => parseManifest("k", Buffer.from(JSON.stringify({ ...valid, format })))).toThrow(
        expect.objectContaining({ code: "BKP_ERR_MANIFEST_VERSION", message: expect.stringContaining(format) }),
      );
    }
  });
});

describe("backup failures", () => {
  it("fails with the store's code when the store is unreachable, and counts the failure", async () => {
    const registry = new Registry();
    const metrics = createBackupMetrics(registry);
    expect(createBackupMetrics(registry)).toBe(metrics);
    const store = openStore("gs://manageos-test/x", {
      apiEndpoint: "http://127.0.0.1:1",
      retries: 1,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    const backups = new Backups({}, { store, metrics });
    const { mkdtemp, rm, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "manageos-bkpfail-"));
    try {
      await writeFile(join(dir, "f"), "data");
      await expect(backups.backup({ dataDir: dir, chainId: "c", head: { num: 1, id: "x" }, serverVersion: "v" })).rejects.toMatchObject({
        code: "STO_ERR_UNREACHABLE",
      });
      await expect(
        backups.backup({ dataDir: join(dir, "missing"), chainId: "c", head: { num: 1, id: "x" }, serverVersion: "v" }),
      ).rejects.toMatchObject({
        code: "BKP_ERR_SOURCE",
      });
      expect(await registry.metrics()).toContain('manageos_backup_runs_total{result="failure"} 2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
