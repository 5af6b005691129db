import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { appBin, isAlive, type ManageosProcess, startManageos } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type GcsEmulator, startGcsEmulator } from "@manageos/testkit";
import { until } from "./support.js";

const run = promisify(execFile);

interface Job {
  id: string;
  kind: string;
  state: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  log: { level: string; message: string }[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

// The proxy answers get_info from the node: 200 once the gate is open.
async function proxyInfo(proxy: string): Promise<{ head_block_num: number; chain_id: string } | undefined> {
  const response = await fetch(`${proxy}/v1/chain/get_info`);
  if (response.status !== 200) {
    await response.body?.cancel();
    return undefined;
  }
  return (await response.json()) as { head_block_num: number; chain_id: string };
}

let app: ManageosProcess | undefined;
let dir: string | undefined;
let emulator: GcsEmulator | undefined;
const nodePids = new Set<number>();

afterEach(async () => {
  const exit = await app?.stop();
  app = undefined;
  await emulator?.stop();
  emulator = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  if (exit !== undefined) {
    // A SIGTERM to manageos is an orderly stop: the node is stopped, not killed.
    expect(exit.code).toBe(0);
    expect([...nodePids].filter(isAlive)).toEqual([]);
  }
  nodePids.clear();
});

describe.each(["file", "gs"] as const)("eos app backups and dirty recovery on %s://", (kind) => {
  it("backs up through the CLI with progress, then restores the latest backup by itself after nodeos is SIGKILLed", async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-bkp-e2e-"));
    let storage: Record<string, unknown> = { url: `file://${join(dir, "storage")}` };
    if (kind === "gs") {
      emulator = await startGcsEmulator();
      storage = { url: "gs://manageos-e2e/backups", apiEndpoint: emulator.endpoint, retries: 1 };
    }
    app = await startManageos({
      dir,
      config: {
        storage,
        proxy: { syncedMaxLag: "5s" },
        backup: { dirtyPolicy: ["restore-latest", "fail"], keepLast: 3 },
      },
    });
    const { api, proxy } = app;
    if (proxy === null) throw new Error("the proxy is off");
    const before = await until("the proxy opens on a synced node", () => proxyInfo(proxy));

    // Backup through the CLI client, which follows the job and prints its progress.
    const cli = await run(process.execPath, [appBin("eos"), "backup", "--api", api], { env: { PATH: process.env.PATH } });
    expect(cli.stdout).toMatch(/backup\s+succeeded/);
    expect(cli.stderr).toMatch(/backup running \d+\/\d+ bytes: backup: \d+\/\d+ files/);
    const backups = await getJson<{ name: string; chainId: string; head: { num: number }; files: number; sizeBytes: number }[]>(
      `${api}/v1/manageos/backups`,
    );
    expect(backups.status).toBe(200);
    expect(backups.body).toHaveLength(1);
    const [backup] = backups.body;
    expect(backup?.chainId).toBe(before.chain_id);
    expect(backup?.head.num).toBeGreaterThanOrEqual(before.head_block_num);
    expect(backup?.files).toBeGreaterThan(0);
    await until("the proxy reopens after the backup", () => proxyInfo(proxy));

    // nodeos dies uncleanly: the dirty flag stays set, and manageos recovers on its own.
    const status = await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`);
    const killed = status.body.node.pid;
    if (killed === null) throw new Error("no nodeos pid");
    nodePids.add(killed);
    process.kill(killed, "SIGKILL");
    const recover = await until(
      "the recovery job succeeds",
      async () => {
        const { body } = await getJson<{ jobs: Job[] }>(`${api}/v1/jobs`);
        const job = body.jobs.find((j) => j.kind === "recover");
        if (job?.state === "failed") throw new Error(`recovery failed: ${JSON.stringify(job.error)}`);
        return job?.state === "succeeded" ? job : undefined;
      },
      90_000,
    );
    expect(recover.result).toMatchObject({ recovered: true, step: "restore-latest" });
    expect(recover.log.map((l) => l.message).join("\n")).toContain(`restored ${backup?.name}`);
    const after = await until("the proxy reopens on the recovered node", () => proxyInfo(proxy));
    expect(after.chain_id).toBe(before.chain_id);
    expect(after.head_block_num).toBeGreaterThan(backup?.head.num ?? Number.POSITIVE_INFINITY);
    const now = await getJson<{ node: { pid: number | null; dirty: boolean }; proxy: { open: boolean } }>(`${api}/v1/manageos/status`);
    expect(now.body.node.pid).not.toBe(killed);
    if (now.body.node.pid !== null) nodePids.add(now.body.node.pid);
    expect(isAlive(killed)).toBe(false);
    const metrics = await (await fetch(`${api}/metrics`)).text();
    expect(metrics).toMatch(/manageos_recoveries_total\{step="restore-latest",result="success"[^}]*\} 1/);
  });
});

describe("eos app boot from storage", () => {
  it("restores the latest backup into an empty data dir at boot, with the chain id taken from storage", async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-bkp-boot-"));
    const storage = { url: `file://${join(dir, "storage")}` };
    await mkdir(join(dir, "first"));
    await mkdir(join(dir, "second"));
    const first = await startManageos({ dir: join(dir, "first"), config: { storage, proxy: { syncedMaxLag: "5s" } } });
    app = first;
    if (first.proxy === null) throw new Error("the proxy is off");
    await until("the first node is synced", () => proxyInfo(first.proxy as string));
    const response = await fetch(`${first.api}/v1/manageos/backup?sync=true`, { method: "POST" });
    expect(response.status).toBe(200);
    const { job } = (await response.json()) as { job: Job & { result: { name: string; chainId: string; head: { num: number } } } };
    expect(job.state).toBe("succeeded");
    const firstPid = (await getJson<{ node: { pid: number | null } }>(`${first.api}/v1/manageos/status`)).body.node.pid;
    if (firstPid !== null) nodePids.add(firstPid);
    expect((await first.stop()).code).toBe(0);

    app = await startManageos({ dir: join(dir, "second"), config: { storage, proxy: { syncedMaxLag: "5s" } } });
    const { api, proxy } = app;
    const boot = await until("the bootstrap job succeeds", async () => {
      const { body } = await getJson<{ jobs: Job[] }>(`${api}/v1/jobs`);
      const found = body.jobs.find((j) => j.kind === "bootstrap");
      if (found?.state === "failed") throw new Error(`bootstrap failed: ${JSON.stringify(found.error)}`);
      return found?.state === "succeeded" ? found : undefined;
    });
    expect(boot.result).toMatchObject({ from: "backup", name: job.result.name, head: job.result.head.num });
    expect(boot.log.some((l) => l.message.includes("(from storage)"))).toBe(true);
    const info = await until("the restored node is synced behind the proxy", () => proxyInfo(proxy as string));
    expect(info.chain_id).toBe(job.result.chainId);
    expect(info.head_block_num).toBeGreaterThan(job.result.head.num);
    const pid = (await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`)).body.node.pid;
    if (pid !== null) nodePids.add(pid);
  });
});

describe("eos app snapshots", () => {
  it("stores a nodeos snapshot through the CLI without stopping the node, then restarts the node from it", async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-snap-e2e-"));
    app = await startManageos({ dir, config: { storage: { url: `file://${join(dir, "storage")}` }, proxy: { syncedMaxLag: "5s" } } });
    const { api, proxy } = app;
    const before = await until("the proxy opens", () => proxyInfo(proxy as string));
    const pid = (await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`)).body.node.pid;
    if (pid !== null) nodePids.add(pid);
    const cli = await run(process.execPath, [appBin("eos"), "snapshot", "--api", api, "--json"], { env: { PATH: process.env.PATH } });
    const job = JSON.parse(cli.stdout) as Job & { result: { snapshot: { name: string; size: number; headNum: number } } };
    expect(job.state).toBe("succeeded");
    expect(job.result.snapshot.size).toBeGreaterThan(0);
    expect(job.result.snapshot.headNum).toBeGreaterThanOrEqual(before.head_block_num);
    // The node kept running: same pid, and the local snapshot file is gone.
    expect((await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`)).body.node.pid).toBe(pid);
    const snapshotsDir = join(dir, "data", "snapshots");
    expect((await readdir(snapshotsDir)).filter((f) => f.endsWith(".bin"))).toEqual([]);
    const restore = await run(process.execPath, [appBin("eos"), "snapshot-restore", job.result.snapshot.name, "--api", api, "--json"], {
      env: { PATH: process.env.PATH },
    });
    const restored = JSON.parse(restore.stdout) as Job & { result: { snapshot: { name: string }; syncedHead: number } };
    expect(restored.state).toBe("succeeded");
    expect(restored.result.snapshot.name).toBe(job.result.snapshot.name);
    expect(restored.result.syncedHead).toBeGreaterThan(job.result.snapshot.headNum);
    expect((await readdir(snapshotsDir)).filter((f) => f.endsWith(".bin"))).toEqual([]);
    const after = await until("the proxy reopens", () => proxyInfo(proxy as string));
    expect(after.chain_id).toBe(before.chain_id);
    const now = (await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`)).body.node.pid;
    expect(now).not.toBe(pid);
    if (now !== null) nodePids.add(now);
  });
});
