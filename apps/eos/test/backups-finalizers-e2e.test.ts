import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, type ManageosProcess, startManageos } from "@manageos/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "./support.js";

interface Job {
  id: string;
  kind: string;
  state: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  log: { level: string; message: string }[];
}

let app: ManageosProcess | undefined;
let dir: string | undefined;
const nodePids = new Set<number>();

afterEach(async () => {
  const exit = await app?.stop();
  app = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  if (exit !== undefined) {
    expect(exit.code).toBe(0);
    expect([...nodePids].filter(isAlive)).toEqual([]);
  }
  nodePids.clear();
});

async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function post(url: string): Promise<Job> {
  const response = await fetch(url, { method: "POST" });
  const body = (await response.json()) as { job: Job };
  if (body.job?.state !== "succeeded") throw new Error(`${url}: ${JSON.stringify(body)}`);
  return body.job;
}

async function proxyOpen(proxy: string): Promise<boolean | undefined> {
  const response = await fetch(`${proxy}/v1/chain/get_info`);
  await response.body?.cancel();
  return response.status === 200 ? true : undefined;
}

async function nodePid(api: string): Promise<number | null> {
  const pid = (await getJson<{ node: { pid: number | null } }>(`${api}/v1/manageos/status`)).node.pid;
  if (pid !== null) nodePids.add(pid);
  return pid;
}

// safety.dat as a person would compare it: bytes, mode, mtime.
async function look(path: string): Promise<{ bytes: string; mode: number; mtimeMs: number }> {
  const info = await lstat(path);
  return { bytes: (await readFile(path)).toString("hex"), mode: info.mode & 0o7777, mtimeMs: info.mtimeMs };
}

async function writeSafety(path: string): Promise<{ bytes: string; mode: number; mtimeMs: number }> {
  await writeFile(path, randomBytes(2048));
  await chmod(path, 0o600);
  const past = new Date(Date.now() - 86_400_000);
  await utimes(path, past, past);
  return look(path);
}

describe("eos app: the finalizer safety file", () => {
  it("survives a restore, a snapshot restore and a dirty recovery of the real daemon byte for byte", async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-fin-e2e-"));
    app = await startManageos({
      dir,
      config: {
        storage: { url: `file://${join(dir, "storage")}` },
        proxy: { syncedMaxLag: "5s" },
        backup: { dirtyPolicy: ["restore-latest", "fail"] },
      },
    });
    const { api, proxy } = app;
    if (proxy === null) throw new Error("the proxy is off");
    await until("the proxy opens", () => proxyOpen(proxy));
    await nodePid(api);
    const safety = join(dir, "data", "finalizers", "safety.dat");
    await mkdir(join(dir, "data", "finalizers"), { recursive: true });
    await writeSafety(safety);

    const backup = await post(`${api}/v1/manageos/backup?sync=true`);
    const listed = await getJson<{ name: string; finalizers: { dir: string; restore: boolean; safetyFile: { size: number } | null } }[]>(
      `${api}/v1/manageos/backups`,
    );
    expect(listed.find((b) => b.name === backup.result?.name)?.finalizers).toMatchObject({
      dir: join(dir, "data", "finalizers"),
      restore: false,
      safetyFile: { size: 2048 },
    });
    await until("the proxy reopens after the backup", () => proxyOpen(proxy));

    // A restore of the (now older) backup: the node's newer safety file stays.
    let before = await writeSafety(safety);
    const restore = await post(`${api}/v1/manageos/restore?backup=latest&sync=true`);
    expect(await look(safety)).toEqual(before);
    expect(restore.result?.finalizer).toEqual({ dir: join(dir, "data", "finalizers"), safetyFile: "kept", action: null });
    await until("the proxy reopens after the restore", () => proxyOpen(proxy));
    await nodePid(api);

    // A snapshot restore.
    await post(`${api}/v1/nodeos/snapshot?sync=true`);
    before = await writeSafety(safety);
    const snapshotRestore = await post(`${api}/v1/nodeos/snapshot_restore?snapshot=latest&sync=true`);
    expect(await look(safety)).toEqual(before);
    expect(snapshotRestore.result?.finalizer).toMatchObject({ safetyFile: "kept" });
    await until("the proxy reopens after the snapshot restore", () => proxyOpen(proxy));

    // nodeos is SIGKILLed: dirty recovery restores the latest backup.
    before = await writeSafety(safety);
    const killed = await nodePid(api);
    if (killed === null) throw new Error("no nodeos pid");
    process.kill(killed, "SIGKILL");
    const recover = await until(
      "the recovery job succeeds",
      async () => {
        const { jobs } = await getJson<{ jobs: Job[] }>(`${api}/v1/jobs`);
        const job = jobs.find((j) => j.kind === "recover");
        if (job?.state === "failed") throw new Error(`recovery failed: ${JSON.stringify(job.error)}`);
        return job?.state === "succeeded" ? job : undefined;
      },
      90_000,
    );
    expect(recover.result).toMatchObject({ step: "restore-latest", finalizer: { safetyFile: "kept" } });
    expect(await look(safety)).toEqual(before);
    await until("the proxy reopens on the recovered node", () => proxyOpen(proxy));
    await nodePid(api);
  });
});
