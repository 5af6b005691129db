import { spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LedgerSummary, NODEOS_SIM_BIN, SimChild, freePort } from "@manageos/testkit";

import { until } from "./support.js";

export { until };

const APP = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** A real etcd on free ports (or the given ones, to start it again) with its data dir under `dir`. */
export async function startEtcd(
  dir: string,
  ports?: { client: number; peer: number },
): Promise<{ url: string; ports: { client: number; peer: number }; child: SimChild; stop(): Promise<unknown> }> {
  const [client, peer] = ports === undefined ? [await freePort(), await freePort()] : [ports.client, ports.peer];
  const url = `http://127.0.0.1:${client}`;
  const child = new SimChild(
    spawn(
      "/usr/bin/etcd",
      [
        "--name",
        "bp-test",
        "--data-dir",
        join(dir, "etcd"),
        "--listen-client-urls",
        url,
        "--advertise-client-urls",
        url,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `bp-test=http://127.0.0.1:${peer}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    ),
    "etcd",
  );
  await until("etcd health", async () => {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await r.json()) as { health?: string };
    return body.health === "true" ? true : undefined;
  });
  return { url, ports: { client, peer }, child, stop: () => child.stop(15_000) };
}

/** One manageos-eos daemon as a real process. */
export interface Daemon {
  readonly name: string;
  readonly api: string;
  readonly child: SimChild;
  readonly pid: number;
}

/** Starts the built eos app with `config` (JSON is YAML); resolves once its API listens. */
export async function startDaemon(name: string, dir: string, config: Record<string, unknown>): Promise<Daemon> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "manager.yaml");
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = SimChild.spawn(`manageos ${name}`, APP, ["run", "--config", file], { ...process.env });
  const endpoints = join(String(config.stateDir), "endpoints.json");
  const api = await until(`${name} to listen`, async () => {
    if (child.exitResult !== undefined) throw new Error(`${name} exited:\n${child.tail(40)}`);
    const e = await readFile(endpoints, "utf8").then(
      (t) => JSON.parse(t) as { api: string; pid: number },
      () => undefined,
    );
    return e?.pid === child.pid ? e.api : undefined;
  });
  return { name, api, child, pid: child.pid };
}

/** The config of one node of the trio: nodeos-sim in the shared cluster, bp mode, the given coordinator. */
export async function nodeConfig(opts: {
  name: string;
  dir: string;
  clusterDir: string;
  blocksigner: string;
  layout: "leap" | "legacy";
  coordinator: Record<string, unknown>;
  bp?: Record<string, unknown>;
}): Promise<Record<string, unknown>> {
  const { name, dir } = opts;
  return {
    hostname: name,
    stateDir: join(dir, "state"),
    log: { level: "warn", format: "json" },
    api: { listen: "127.0.0.1:0" },
    proxy: { enabled: false },
    storage: { url: `file://${join(dir, "storage")}` },
    backup: { bootstrap: "genesis" },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(dir, "data"),
      configDir: join(dir, "config"),
      httpAddress: "127.0.0.1:0",
      blockInterval: "50ms",
      roundLength: 12,
      pollInterval: "100ms",
      env: { NODEOS_SIM_CLUSTER_DIR: opts.clusterDir, NODEOS_SIM_INSTANCE: name, NODEOS_SIM_LOG_LAYOUT: opts.layout },
    },
    superviser: { termRetryInterval: "2s", killAfter: "20s" },
    bp: { enabled: true, producerName: "bp.b", blocksigner: opts.blocksigner, claimWindow: "2500ms", pauseTimeout: "5s", ...opts.bp },
    coordinator: opts.coordinator,
  };
}

/** Calls a daemon's API; answers the status code and the JSON body. */
export async function call(
  api: string,
  method: "GET" | "POST",
  path: string,
  timeoutMs = 60_000,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(path, api), { method, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** The production part of a daemon's status. */
export async function productionOf(api: string): Promise<Record<string, unknown>> {
  const { body } = await call(api, "GET", "/v1/manageos/status", 5_000);
  return (body.production ?? {}) as Record<string, unknown>;
}

/** The pid of the nodeos a daemon supervises, as its status says. */
export async function nodeosPid(api: string): Promise<number> {
  const { body } = await call(api, "GET", "/v1/manageos/status", 5_000);
  const pid = (body.node as { pid?: unknown } | undefined)?.pid;
  if (typeof pid !== "number") throw new Error(`no nodeos pid in the status of ${api}`);
  return pid;
}

/** Stops (SIGSTOP) or continues (SIGCONT) the given processes; a process already gone is skipped. */
export function signalAll(pids: readonly number[], signal: "SIGSTOP" | "SIGCONT"): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** The last block of ours `instance` produced, per the simulator's ledger (0 when none). */
export function lastBlockOf(ledger: LedgerSummary, instance: string): number {
  return Math.max(0, ...ledger.slots.filter((s) => s.instances.includes(instance)).map((s) => s.blockNum));
}

/** Blocks `instance` produced after block `after`, per the ledger. */
export function blocksAfter(ledger: LedgerSummary, instance: string, after: number): number[] {
  return ledger.slots.filter((s) => s.blockNum > after && s.instances.includes(instance)).map((s) => s.blockNum);
}

/** The last slot of ours the ledger knows, produced or missed: it advances with the chain whoever produces. */
export function ledgerHead(ledger: LedgerSummary): number {
  return Math.max(ledger.slots.at(-1)?.blockNum ?? 0, ledger.missedSlots.at(-1) ?? 0);
}
