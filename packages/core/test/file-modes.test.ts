import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AppVariant, atomicWrite, atomicWriteJson, ConfigMapWatcher, EXIT, JobQueue, privateDir, runCli } from "../src/index.js";

const mode = async (path: string) => (await stat(path)).mode & 0o777;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-modes-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("files manageos writes are the owner's alone", () => {
  it("writes files 0600 and creates their directories 0700, also when replacing a 0644 file", async () => {
    const file = join(dir, "state", "nested", "endpoints.json");
    await atomicWriteJson(file, { api: "http://127.0.0.1:1" });
    expect(await mode(file)).toBe(0o600);
    expect(await mode(join(dir, "state", "nested"))).toBe(0o700);
    expect(await mode(join(dir, "state"))).toBe(0o700);
    const old = join(dir, "old.json");
    await writeFile(old, "{}", { mode: 0o644 });
    await atomicWrite(old, "{}\n");
    expect(await mode(old)).toBe(0o600);
  });

  it("persists the job queue to a 0600 jobs.json", async () => {
    const stateDir = join(dir, "state");
    const queue = new JobQueue({ stateDir }, { logger: pino({ level: "silent" }) });
    const job = queue.submit("noop", {}, async () => "done");
    for (let i = 0; i < 100 && queue.get(job.id).state !== "succeeded"; i++) await new Promise((r) => setTimeout(r, 10));
    await queue.close();
    expect(await mode(join(stateDir, "jobs.json"))).toBe(0o600);
    expect(await mode(stateDir)).toBe(0o700);
  });

  it("takes group and other access away from a state directory an older version left 0755", async () => {
    const stateDir = join(dir, "state");
    await mkdir(stateDir, { mode: 0o755 });
    await chmod(stateDir, 0o755);
    expect(await privateDir(stateDir)).toBe(true);
    expect(await mode(stateDir)).toBe(0o700);
  });

  it("mirrors a ConfigMap (which may hold the API token) into 0600 files", async () => {
    const configMap = {
      metadata: { name: "manageos-conf", resourceVersion: "1" },
      data: { "manager.yaml": "api:\n  token: aaaaaaaaaaaaaaaaaaaa\n" },
    };
    const server = createServer((req, res) => {
      if (!req.url?.includes("watch=true")) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "ADDED", object: configMap })}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "t", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: "sa", token: "t" }],
      contexts: [{ name: "t", cluster: "t", user: "sa", namespace: "bp" }],
      currentContext: "t",
    });
    const out = join(dir, "configmap");
    const watcher = new ConfigMapWatcher(
      { name: "manageos-conf", dir: out, retryMs: 100 },
      { logger: pino({ level: "silent" }), kubeConfig: kc },
    );
    try {
      await watcher.start();
      for (let i = 0; i < 250 && watcher.applied === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await mode(join(out, "manager.yaml"))).toBe(0o600);
    } finally {
      await watcher.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("--print-config", () => {
  const VARIANT: AppVariant = { name: "eos", bin: "manageos-eos", description: "test", defaults: {} };

  it("prints every secret as <redacted>: the API token, key-holding node.env and config.ini keys, private keys, URL passwords", async () => {
    let out = "";
    const code = await runCli(
      VARIANT,
      [
        "run",
        "--print-config",
        "--set",
        "api.token=s3cret-token-0123456789",
        "--set",
        'node.configKeys={"signature-provider":["EOS6...=KEY:5Kprivate"],"peer-private-key":"5Kpeer","agent-name":"bp-1"}',
        "--set",
        'node.env={"GCS_SECRET":"hush","TZ":"UTC"}',
        "--set",
        'coordinator.endpoints=["http://root:etcdpass@127.0.0.1:2379"]',
        "--set",
        'node.extraArgs=["--signature-provider", "PUB_BLS_x=KEY:PVT_BLS_blskey", "--p2p-peer-address", "a:9876"]',
      ],
      { io: { out: (t) => (out += t), err: () => undefined, env: {} } },
    );
    expect(code).toBe(EXIT.ok);
    for (const secret of ["s3cret-token", "5Kprivate", "5Kpeer", "hush", "etcdpass", "blskey"]) expect(out).not.toContain(secret);
    const printed = JSON.parse(out);
    expect(printed.api.token).toBe("<redacted>");
    expect(printed.node.configKeys).toEqual({
      "signature-provider": ["<redacted>"],
      "peer-private-key": "<redacted>",
      "agent-name": "bp-1",
    });
    expect(printed.node.env).toEqual({ GCS_SECRET: "<redacted>", TZ: "UTC" });
    expect(printed.coordinator.endpoints).toEqual(["http://root:<redacted>@127.0.0.1:2379"]);
    expect(printed.node.extraArgs).toEqual(["--signature-provider", "<redacted>", "--p2p-peer-address", "a:9876"]);
  });
});
