import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimChild } from "../../../testkit/src/helpers/child.js";
import { freePort } from "../../../testkit/src/helpers/manageos.js";

/** A real etcd (the Debian `etcd-server` binary) on free loopback ports, with its own data dir. */
export interface EtcdServer {
  /** `http://127.0.0.1:<client port>`. */
  readonly url: string;
  readonly port: number;
  /** The running process's pid, undefined while stopped. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, bounded wait, then SIGKILL); the data dir stays. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data dir; resolves once it is healthy. */
  start(): Promise<void>;
  /** Stops the process and removes the data dir. */
  destroy(): Promise<void>;
}

const ETCD_BIN = "/usr/bin/etcd";

/** Starts one etcd member; the ports are chosen here (etcd cannot report a port-0 listener) and kept across restarts. */
export async function startEtcdServer(): Promise<EtcdServer> {
  const dir = await mkdtemp(join(tmpdir(), "manageos-etcd-"));
  const [port, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: SimChild | undefined;
  const server: EtcdServer = {
    url,
    port,
    get pid() {
      return child?.exitResult === undefined ? child?.pid : undefined;
    },
    async start() {
      if (child !== undefined && child.exitResult === undefined) return;
      const args = [
        ["--name", "core-test"],
        ["--data-dir", join(dir, "data")],
        ["--listen-client-urls", url],
        ["--advertise-client-urls", url],
        ["--listen-peer-urls", peer],
        ["--initial-advertise-peer-urls", peer],
        ["--initial-cluster", `core-test=${peer}`],
      ].flat();
      const started = new SimChild(spawn(ETCD_BIN, args, { stdio: ["ignore", "pipe", "pipe"] }), "etcd");
      child = started;
      await waitHealthy(url, started);
    },
    async stop() {
      await child?.stop(10_000);
    },
    async destroy() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

// Polls /health until etcd says it is healthy (it has a leader and serves requests).
async function waitHealthy(url: string, child: SimChild, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitResult !== undefined)
      throw new Error(`etcd exited (${child.exitResult.code ?? child.exitResult.signal}):\n${child.tail()}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { health?: unknown };
      if (body.health === "true") return;
      last = JSON.stringify(body);
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd at ${url} not healthy within ${timeoutMs} ms (${last}):\n${child.tail()}`);
}
