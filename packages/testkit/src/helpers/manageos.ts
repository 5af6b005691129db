import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SimChild } from "./child.js";
import { tempDir } from "./temp-dir.js";

/** Path of a built app binary: `eos`, `bos`, `eos-mindreader`, `bos-mindreader`. */
export function appBin(app: string): string {
  return fileURLToPath(new URL(`../../../apps/${app}/dist/index.js`, import.meta.url));
}

/** A port free right now on 127.0.0.1, for a child that cannot listen on port 0 and report it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Options of startManageos. */
export interface ManageosOptions {
  /** Which app binary; default `eos`. */
  app?: string;
  /** The manager.yaml content, merged over fast-test defaults (nodeos-sim, 50 ms blocks, port 0, temp dirs). */
  config?: Record<string, unknown>;
  /** Extra arguments after `run`. */
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Where state, data and config go; a temp dir by default. */
  dir?: string;
  startTimeoutMs?: number;
}

/** A running manageos daemon. */
export interface ManageosProcess {
  readonly api: string;
  readonly proxy: string | null;
  readonly pid: number;
  readonly dir: string;
  /** The node's own HTTP address, `http://127.0.0.1:<port>`; empty when the node did not come up listening. */
  readonly nodeUrl: string;
  readonly process: SimChild;
  /** SIGTERM and wait for the exit. */
  stop(timeoutMs?: number): ReturnType<SimChild["stop"]>;
}

/** Starts a built manageos app as a real process supervising nodeos-sim; resolves once both ports listen. */
export async function startManageos(opts: ManageosOptions = {}): Promise<ManageosProcess> {
  const dir = opts.dir ?? (await tempDir("manageos-app-"));
  const { NODEOS_SIM_BIN } = await import("./bins.js");
  const defaults = {
    stateDir: join(dir, "state"),
    api: { listen: "127.0.0.1:0" },
    proxy: { listen: "127.0.0.1:0", syncedMaxLag: "5s" },
    storage: { url: `file://${join(dir, "storage")}` },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(dir, "data"),
      configDir: join(dir, "config"),
      // nodeos picks its port at start; manageos learns it from nodeos' log, so concurrent tests never collide.
      httpAddress: "127.0.0.1:0",
      blockInterval: "50ms",
      pollInterval: "100ms",
      env: { NODEOS_SIM_BLOCK_INTERVAL_MS: "50" },
    },
    superviser: { termRetryInterval: "2s", killAfter: "20s" },
  };
  const config = mergeDeep(defaults, opts.config ?? {});
  const file = join(dir, "manager.yaml");
  // JSON is YAML: no YAML writer needed.
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = SimChild.spawn("manageos", appBin(opts.app ?? "eos"), ["run", "--config", file, ...(opts.args ?? [])], {
    ...process.env,
    ...opts.env,
  });
  const endpointsFile = join(String((config as { stateDir: string }).stateDir), "endpoints.json");
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let endpoints: { api: string; proxy: string | null; pid: number } | undefined;
  while (endpoints?.pid !== child.pid) {
    if (child.exitResult !== undefined || Date.now() > deadline) {
      await child.stop();
      throw new Error(
        `manageos did not start (${child.exitResult ? `exit ${child.exitResult.code}` : "timeout"}):\n${child.stdoutLines.slice(-40).join("\n")}\n${child.tail(20)}`,
      );
    }
    endpoints = await readFile(endpointsFile, "utf8").then(
      (t) => JSON.parse(t) as typeof endpoints,
      () => undefined,
    );
    if (endpoints?.pid !== child.pid) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const nodeUrl = await nodeApi(endpoints.api, child, deadline);
  return {
    api: endpoints.api,
    proxy: endpoints.proxy,
    pid: child.pid,
    dir,
    nodeUrl,
    process: child,
    stop: (timeoutMs = 60_000) => child.stop(timeoutMs),
  };
}

// The node's API address once it listens, as manageos reports it; empty when the node ends without listening.
async function nodeApi(api: string, child: SimChild, deadline: number): Promise<string> {
  while (child.exitResult === undefined && Date.now() < deadline) {
    const status = await fetch(`${api}/v1/manageos/status`)
      .then((r) => r.json() as Promise<{ node: { apiUrl: string | null; lastExit: unknown }; state: string }>)
      .catch(() => undefined);
    if (status?.node.apiUrl) return status.node.apiUrl;
    if (status !== undefined && status.node.lastExit !== null && status.state !== "running" && status.state !== "starting") return "";
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return "";
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeDeep(prev, value) : value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
