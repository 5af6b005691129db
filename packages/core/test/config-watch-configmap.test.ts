import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigMapWatcher } from "../src/index.js";

// A small API server that speaks the Kubernetes watch protocol for ConfigMaps: JSON lines of {type, object}.
class FakeApiServer {
  readonly requests: { path: string; query: URLSearchParams; auth: string | undefined }[] = [];
  readonly #open: ServerResponse[] = [];
  readonly #server: Server;
  constructor(readonly onWatch: (res: ServerResponse, query: URLSearchParams) => void) {
    this.#server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://x");
      this.requests.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization });
      if (url.searchParams.get("watch") !== "true") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      this.#open.push(res);
      this.onWatch(res, url.searchParams);
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  /** Sends an event on every open watch. */
  send(type: string, object: unknown): void {
    for (const res of this.#open) if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  }
  /** Ends every open watch, as the API server does after its timeout. */
  endWatches(): void {
    for (const res of this.#open.splice(0)) res.end();
  }
  async close(): Promise<void> {
    this.endWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const configMap = (version: string, data: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "manageos-conf", namespace: "bp", resourceVersion: version },
  data,
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(onWatch: (res: ServerResponse, query: URLSearchParams) => void, logger = pino({ level: "silent" })) {
  const server = new FakeApiServer(onWatch);
  const url = await server.listen();
  const dir = await mkdtemp(join(tmpdir(), "manageos-cm-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server: url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "sa", user: { token: "test-token" } }],
      contexts: [{ name: "test", context: { cluster: "test", user: "sa", namespace: "bp" } }],
      "current-context": "test",
    }),
  );
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const out = join(dir, "configmap");
  const watcher = new ConfigMapWatcher({ name: "manageos-conf", dir: out, retryMs: 100 }, { logger, kubeConfig: kc });
  cleanup.push(
    () => rm(dir, { recursive: true, force: true }),
    () => server.close(),
    () => watcher.close(),
  );
  return { server, watcher, out };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const read = (file: string) => readFile(file, "utf8").catch(() => undefined);

describe("ConfigMapWatcher against a watch-protocol server", () => {
  it("watches the named ConfigMap in the context's namespace with the token, and mirrors its data as files", async () => {
    const { server, watcher, out } = await setup((res) =>
      res.write(`${JSON.stringify({ type: "ADDED", object: configMap("10", { "manager.yaml": "a: 1\n", "config.ini": "x = 1\n" }) })}\n`),
    );
    await watcher.start();
    await until(() => (watcher.applied === 1 ? true : undefined));
    expect(await read(join(out, "manager.yaml"))).toBe("a: 1\n");
    expect(await read(join(out, "config.ini"))).toBe("x = 1\n");
    const first = server.requests[0];
    expect(first?.path).toBe("/api/v1/namespaces/bp/configmaps");
    expect(first?.query.get("fieldSelector")).toBe("metadata.name=manageos-conf");
    expect(first?.auth).toBe("Bearer test-token");

    server.send("MODIFIED", configMap("11", { "manager.yaml": "a: 2\n" }));
    await until(() => (watcher.applied === 2 ? true : undefined));
    expect(await read(join(out, "manager.yaml"))).toBe("a: 2\n");
    // A key removed from the ConfigMap goes away on disk; another ConfigMap's events are ignored.
    expect(await read(join(out, "config.ini"))).toBeUndefined();
    server.send("MODIFIED", { ...configMap("12", { "manager.yaml": "other\n" }), metadata: { name: "other", resourceVersion: "12" } });
    await until(() => (watcher.resourceVersion === "12" ? true : undefined));
    expect(watcher.applied).toBe(2);
    expect(await read(join(out, "manager.yaml"))).toBe("a: 2\n");
  });

  it("resumes a closed watch from the last resourceVersion, and from scratch after 410 Gone", async () => {
    const { server, watcher, out } = await setup(() => undefined);
    await watcher.start();
    await until(() => (server.requests.length === 1 ? true : undefined));
    server.send("ADDED", configMap("20", { "manager.yaml": "v: 20\n" }));
    await until(async () => ((await read(join(out, "manager.yaml"))) === "v: 20\n" ? true : undefined));
    server.endWatches();
    await until(() => (server.requests.length === 2 ? true : undefined));
    expect(server.requests[1]?.query.get("resourceVersion")).toBe("20");
    server.send("ERROR", { kind: "Status", code: 410, reason: "Expired" });
    await until(() => (server.requests.length >= 3 ? true : undefined));
    expect(server.requests[2]?.query.get("resourceVersion")).toBeNull();
    server.send("ADDED", configMap("30", { "manager.yaml": "v: 30\n" }));
    await until(async () => ((await read(join(out, "manager.yaml"))) === "v: 30\n" ? true : undefined));
  });

  it("resumes a watch the client ended after 30 s of silence from the last resourceVersion, without a warning", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { server, watcher, out } = await setup(() => undefined, logger);
    await watcher.start();
    await until(() => (server.requests.length === 1 ? true : undefined));
    server.send("ADDED", configMap("40", { "manager.yaml": "v: 40\n" }));
    await until(async () => ((await read(join(out, "manager.yaml"))) === "v: 40\n" ? true : undefined));
    // The server keeps the watch open and says nothing; the client gives up on it after 30 s.
    await until(() => (server.requests.length === 2 ? true : undefined), 40_000);
    expect(server.requests[1]?.query.get("resourceVersion")).toBe("40");
    server.send("MODIFIED", configMap("41", { "manager.yaml": "v: 41\n" }));
    await until(async () => ((await read(join(out, "manager.yaml"))) === "v: 41\n" ? true : undefined));
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(lines.some((line) => line.msg === "ConfigMap watch idle; resuming")).toBe(true);
  });
});
