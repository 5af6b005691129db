import { execFile } from "node:child_process";
import { chmod, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openStore } from "@manageos/core";
import { decodeBlockFiles, parseFirehoseOneBlockFileName, readBlockFile, writerSuffix } from "@manageos/mindreader";
import { appBin, readDirtyFlag, startManageos, stateFilePath, tempDir } from "@manageos/testkit";
import { describe, expect, it } from "vitest";
import { chainBreaks, metric, nodeHead, openStream, readBlockEvents, storedBundles, storedOneBlocks, until } from "./support/blocks.js";
import { startGcsEmulator } from "@manageos/testkit";

const APP = "eos-mindreader";
const execute = promisify(execFile);

// The app's CLI as an operator runs it (no MANAGEOS_ variables); its exit code and output.
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [appBin(APP), ...args], {
      env: { PATH: process.env.PATH },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

// The mindreader settings of a test run: work dir and block store under the run's dir.
function mindreaderConfig(dir: string, blockStore: string, extra: Record<string, unknown> = {}) {
  return { mindreader: { workDir: join(dir, "work"), blockStore, ...extra } };
}

// Blocks read per second by the mindreader while the node's head advances by `blocks`, and the node's own rate.
async function rates(api: string, nodeUrl: string, blocks: number) {
  const started = Date.now();
  const node0 = (await until("node head", () => nodeHead(nodeUrl)))!;
  const read0 = (await metric(api, "manageos_mindreader_head_block_number"))!;
  const node1 = await until(`node head +${blocks}`, async () => {
    const head = await nodeHead(nodeUrl);
    return head !== undefined && head >= node0 + blocks ? head : undefined;
  });
  const read1 = (await metric(api, "manageos_mindreader_head_block_number"))!;
  const seconds = (Date.now() - started) / 1000;
  return { node: (node1 - node0) / seconds, read: (read1 - read0) / seconds, readHead: read1, nodeHead: node1 };
}

describe("eos-mindreader supervising nodeos-sim with deep-mind", () => {
  it("writes Firehose one-block files and merged bundles to a file:// store, which blocks print and blocks check read", async () => {
    const dir = await tempDir("mr-firehose-");
    const storeDir = join(dir, "blocks");
    const blockStore = `file://${storeDir}`;
    const mr = await startManageos({ app: APP, dir, config: mindreaderConfig(dir, blockStore) });
    const store = openStore(blockStore);
    try {
      // Bundles 0 (blocks 2-99), 100 and 200 come once their last block is irreversible (LIB 24 blocks behind).
      await until(
        "merged bundle 200 in the store",
        async () => ((await storedBundles(store)).includes("merged-blocks/0000000200.dbin.zst") ? true : undefined),
        60_000,
      );
      const files = await storedOneBlocks(store);
      expect(files[0]?.num).toBe(2);
      expect(files.every((f) => f.key.endsWith(".dbin.zst") && f.idTail.length === 16)).toBe(true);
      expect(chainBreaks(files)).toEqual([]);
      expect(new Set(files.map((f) => f.suffix))).toEqual(new Set([writerSuffix(hostname())]));
      const bundle = await readBlockFile(await store.getBytes("merged-blocks/0000000000.dbin.zst"), "bundle 0");
      expect(bundle.map((b) => b.num)).toEqual(range(2, 99));
      expect(bundle.map((b) => b.id.slice(-16))).toEqual(files.slice(0, 98).map((f) => f.idTail));
      const single = await readBlockFile(await store.getBytes(files[50]!.key), files[50]!.key);
      expect(single.map((b) => b.json())).toEqual([bundle[50]!.json()]);

      // The live stream serves decoded blocks as their protobuf JSON mapping.
      const replayed = await readBlockEvents(`${mr.api}/v1/mindreader/blocks?from=10`, 3);
      expect(replayed.map((e) => e.num)).toEqual([10, 11, 12]);
      expect(replayed[0]!.raw).toEqual(bundle[8]!.json());
      expect(replayed[1]!.previous).toBe(replayed[0]!.id);
    } finally {
      expect(await mr.stop(20_000)).toEqual({ code: 0, signal: null });
    }
    const printed = await cli(["blocks", "print", join(storeDir, "merged-blocks", "0000000100.dbin.zst")]);
    expect(printed.code).toBe(0);
    const lines = printed.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { number: string; payload: Record<string, unknown> });
    expect(lines.map((b) => Number(b.number))).toEqual(range(100, 199));
    expect(lines[0]!.payload["@type"]).toBe("type.googleapis.com/sf.antelope.type.v1.Block");
    const oneBlock = (await storedOneBlocks(store)).find((f) => f.num === 150)!;
    const one = await cli(["blocks", "print", `${blockStore}/${oneBlock.key}`]);
    expect(JSON.parse(one.stdout)).toEqual(lines[50]);

    const sound = await cli(["blocks", "check", storeDir]);
    expect(sound).toMatchObject({ code: 0, stdout: "" });
    expect(sound.stderr).toMatch(/^\d+ bundles, \d+ blocks, 0 problems/);
    await rm(join(storeDir, "merged-blocks", "0000000100.dbin.zst"));
    const holed = await cli(["blocks", "check", blockStore]);
    expect(holed.code).toBe(1);
    expect(holed.stdout).toContain("hole: bundles 100 to 100 are missing: blocks 100-199");
  });

  it("writes contiguous dmlog one-block files and bundles to a file:// store, streams blocks over SSE and turns ready", async () => {
    const dir = await tempDir("mr-file-");
    const blockStore = `file://${join(dir, "blocks")}`;
    const mr = await startManageos({ app: APP, dir, config: mindreaderConfig(dir, blockStore, { format: "dmlog" }) });
    try {
      const store = openStore(blockStore);
      // Bundle 0 (blocks 2-99) comes once block 99 is irreversible: LIB is 24 blocks behind the head.
      await until(
        "bundle 0 in the store",
        async () => ((await storedBundles(store, "bundles/")).includes("bundles/0000000000.dmbundle.gz") ? true : undefined),
        45_000,
      );
      const files = await storedOneBlocks(store);
      expect(files[0]?.num).toBe(2);
      expect(files.length).toBeGreaterThanOrEqual(98);
      expect(chainBreaks(files)).toEqual([]);
      expect(new Set(files.map((f) => f.suffix))).toEqual(new Set([writerSuffix(hostname())]));

      const bundle = await decodeBlockFiles(await store.getBytes("bundles/0000000000.dmbundle.gz"));
      expect(bundle.map((b) => b.header.num)).toEqual(range(2, 99));
      expect(bundle.map((b) => b.header.id.slice(-8))).toEqual(files.slice(0, 98).map((f) => f.idTail));
      expect(bundle[0]!.lines[0]).toBe("DMLOG START_BLOCK 2");
      expect(bundle[0]!.lines.at(-1)).toMatch(/^DMLOG ACCEPTED_BLOCK 2 [0-9a-f]+$/);
      const single = await decodeBlockFiles(await store.getBytes(files[50]!.key));
      expect(single.map((b) => b.header)).toEqual([bundle[50]!.header]);

      // Replay from block 10 through the operator API port, then live blocks that link.
      const replayed = await readBlockEvents(`${mr.api}/v1/mindreader/blocks?from=10`, 5);
      expect(replayed.map((e) => e.num)).toEqual(range(10, 14));
      expect(replayed.map((e) => e.id.slice(-8))).toEqual(files.slice(8, 13).map((f) => f.idTail));
      const head = (await metric(mr.api, "manageos_mindreader_head_block_number"))!;
      const live = await readBlockEvents(`${mr.api}/v1/mindreader/blocks`, 2);
      expect(live[0]!.num).toBeGreaterThan(head);
      expect(live[1]!.num).toBe(live[0]!.num + 1);
      expect(live[1]!.previous).toBe(live[0]!.id);

      const health = await until("healthz ready", async () => {
        const res = await fetch(`${mr.api}/healthz`);
        return res.status === 200 ? ((await res.json()) as { ready: boolean; reasons: string[] }) : undefined;
      });
      expect(health).toEqual({ ready: true, reasons: [] });
      expect(await metric(mr.api, "manageos_mindreader_bundles_total")).toBeGreaterThanOrEqual(1);
      const drift = (await metric(mr.api, "manageos_mindreader_head_block_time_drift_seconds"))!;
      expect(Math.abs(drift)).toBeLessThan(5);
    } finally {
      // An SSE client left connected must not hold the shutdown.
      const lingering = await openStream(`${mr.api}/v1/mindreader/blocks`);
      const exit = await mr.stop(20_000);
      await lingering.ended;
      expect(exit).toEqual({ code: 0, signal: null });
    }
  });

  it("keeps reading at the node's pace while the gs:// block store is down, then drains the backlog", async () => {
    const gcs = await startGcsEmulator();
    try {
      const dir = await tempDir("mr-gcs-");
      const blockStore = "gs://manageos-blocks/eos";
      const mr = await startManageos({
        app: APP,
        dir,
        config: mindreaderConfig(dir, blockStore, { maxPendingFiles: 30 }),
        env: { STORAGE_EMULATOR_HOST: gcs.endpoint },
      });
      try {
        const store = openStore(blockStore, { apiEndpoint: gcs.endpoint });
        await until("20 one-block files in the store", async () => ((await storedOneBlocks(store)).length >= 20 ? true : undefined));
        const before = await rates(mr.api, mr.nodeUrl, 40);

        await gcs.down();
        const outage = await rates(mr.api, mr.nodeUrl, 60);
        // The node is not held back, and the reader keeps up with it: the disk takes what the store cannot.
        expect(outage.node).toBeGreaterThan(before.node * 0.7);
        expect(outage.read).toBeGreaterThan(before.read * 0.7);
        expect(outage.readHead).toBeGreaterThanOrEqual(outage.nodeHead - 20);
        const pending = (await metric(mr.api, "manageos_mindreader_files_pending_upload"))!;
        expect(pending).toBeGreaterThanOrEqual(30);
        expect(await metric(mr.api, "manageos_mindreader_backlog_full")).toBe(1);
        const work = (await readdir(join(dir, "work", "blocks"))).filter((name) => parseFirehoseOneBlockFileName(name) !== undefined);
        expect(work.length).toBeGreaterThanOrEqual(30);
        const logs = mr.process.stdoutLines.map((line) => line.slice(0, 2000)).join("\n");
        expect(logs).toContain("block store backlog at half its bound");
        expect(logs).toContain("MDR_ERR_BACKLOG_FULL");

        await gcs.up();
        const files = await until(
          `one-block files through block ${outage.readHead} in the store`,
          async () => {
            const found = await storedOneBlocks(store);
            return (found.at(-1)?.num ?? 0) >= outage.readHead && found.length === (found.at(-1)?.num ?? 0) - 1 ? found : undefined;
          },
          60_000,
          250,
        );
        expect(files[0]?.num).toBe(2);
        expect(chainBreaks(files)).toEqual([]);
        await until(
          "backlog back to normal",
          async () => ((await metric(mr.api, "manageos_mindreader_backlog_full")) === 0 ? true : undefined),
          30_000,
        );
        await until(
          "bundle 0 in the store",
          async () => ((await storedBundles(store)).includes("merged-blocks/0000000000.dbin.zst") ? true : undefined),
          30_000,
        );
        const bundle = await readBlockFile(await store.getBytes("merged-blocks/0000000000.dbin.zst"), "bundle 0");
        expect(bundle.map((b) => b.num)).toEqual(range(2, 99));
        expect(mr.process.stdoutLines.join("\n")).toContain("block store backlog back to normal");
      } finally {
        expect(await mr.stop(20_000)).toEqual({ code: 0, signal: null });
      }
    } finally {
      await gcs.stop();
    }
  });

  it("--stop-block-num stops the node cleanly after writing that block and keeps the daemon up", async () => {
    const dir = await tempDir("mr-stop-");
    const blockStore = `file://${join(dir, "blocks")}`;
    const config = mindreaderConfig(dir, blockStore);
    const mr = await startManageos({ app: APP, dir, config, args: ["--stop-block-num", "40"] });
    try {
      await mr.process.waitForLine(/node stopped by the mindreader/, { stream: "stdout", timeoutMs: 30_000 });
      const status = (await (await fetch(`${mr.api}/v1/manageos/status`)).json()) as {
        state: string;
        node: { pid: number | null; restarts: number; lastExit: Record<string, unknown> | null };
      };
      expect(status.state).toBe("stopped");
      expect(status.node.pid).toBeNull();
      expect(status.node.lastExit).toMatchObject({ exitCode: 0, killed: false, requested: true });
      expect(await readDirtyFlag(stateFilePath(join(dir, "data")))).toBe(false);

      const store = openStore(blockStore);
      const files = await until("blocks 2-40 in the store", async () => {
        const found = await storedOneBlocks(store);
        return found.length >= 39 ? found : undefined;
      });
      expect(files.map((f) => f.num)).toEqual(range(2, 40));
      expect(chainBreaks(files)).toEqual([]);
      const local = (await readdir(join(dir, "work", "blocks"))).map((name) => parseFirehoseOneBlockFileName(name)?.num);
      expect(Math.max(...local.filter((n) => n !== undefined))).toBe(40);

      const health = await fetch(`${mr.api}/healthz`);
      expect(health.status).toBe(503);
      const body = (await health.json()) as { reasons: string[] };
      expect(body.reasons).toContain("mindreader reached its stop block 40");
      expect(body.reasons).toContain("node is stopped");
      expect(mr.process.exitResult).toBeUndefined();
    } finally {
      expect(await mr.stop(20_000)).toEqual({ code: 0, signal: null });
    }

    // Started again with the same stop block, the node is past it: stopped again at its first block, nothing written.
    const again = await startManageos({ app: APP, dir, config, args: ["--stop-block-num", "40"] });
    try {
      await again.process.waitForLine(/the node runs past the stop block/, { stream: "stdout", timeoutMs: 30_000 });
      await again.process.waitForLine(/node stopped by the mindreader/, { stream: "stdout", timeoutMs: 30_000 });
      expect(await readDirtyFlag(stateFilePath(join(dir, "data")))).toBe(false);
      const nums = (await storedOneBlocks(openStore(blockStore))).map((f) => f.num);
      expect(Math.max(...nums)).toBe(40);
    } finally {
      expect(await again.stop(20_000)).toEqual({ code: 0, signal: null });
    }
  });

  it("stops the node cleanly, once, with an error naming the cause when deep-mind cannot be read", async () => {
    const dir = await tempDir("mr-fatal-");
    const starts = join(dir, "starts.log");
    // A node that prints a deep-mind version the reader does not know, then runs until TERM.
    const fakeNode = join(dir, "fake-nodeos.mjs");
    await writeFile(
      fakeNode,
      [
        "#!/usr/bin/env node",
        'import { appendFileSync } from "node:fs";',
        'appendFileSync(process.env.FAKE_NODEOS_STARTS, String(process.pid) + "\\n");',
        'process.on("SIGTERM", () => process.exit(0));',
        'process.stdout.write("DMLOG DEEP_MIND_VERSION leap 99 0\\n");',
        "setInterval(() => {}, 1000);",
        "",
      ].join("\n"),
    );
    await chmod(fakeNode, 0o755);
    const mr = await startManageos({
      app: APP,
      dir,
      config: {
        ...mindreaderConfig(dir, `file://${join(dir, "blocks")}`),
        node: { binary: fakeNode, env: { FAKE_NODEOS_STARTS: starts } },
        // A restart policy that would spin fast if the stop were taken for a crash.
        superviser: { restart: { policy: "always", backoffBase: "50ms" } },
      },
    });
    try {
      const line = await mr.process.waitForLine(/cannot read the node's deep-mind output/, { stream: "stdout", timeoutMs: 30_000 });
      expect(JSON.parse(line)).toMatchObject({ level: "error", code: "MDR_ERR_DEEP_MIND_VERSION" });
      await mr.process.waitForLine(/node stopped by the mindreader/, { stream: "stdout", timeoutMs: 30_000 });
      const status = async () =>
        (await (await fetch(`${mr.api}/v1/manageos/status`)).json()) as {
          state: string;
          node: { restarts: number; lastExit: Record<string, unknown> | null };
        };
      expect((await status()).node.lastExit).toMatchObject({ exitCode: 0, killed: false, requested: true });
      // Twenty restart backoffs later, still one start and still stopped.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await readFile(starts, "utf8")).trim().split("\n")).toHaveLength(1);
      expect(await status()).toMatchObject({ state: "stopped", node: { restarts: 0 } });
      const health = (await (await fetch(`${mr.api}/healthz`)).json()) as { reasons: string[] };
      expect(health.reasons.some((r) => r.startsWith("mindreader failed (MDR_ERR_DEEP_MIND_VERSION)"))).toBe(true);
    } finally {
      expect(await mr.stop(20_000)).toEqual({ code: 0, signal: null });
    }
  });
});
