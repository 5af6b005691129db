import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppVariant,
  type BackupService,
  clientCommands,
  createApiServer,
  createMetricsRegistry,
  createOperatorMetrics,
  EXIT,
  JobQueue,
  Operator,
  type ProductionService,
  ProxyGate,
  runCli,
} from "../src/index.js";
import { MemoryChain } from "./support/memory-chain.js";

const logger = pino({ level: "silent" });
const TOKEN = "s3cret-token-for-cli-tests";
const VARIANT: AppVariant = { name: "eos", bin: "manageos-eos", description: "test", defaults: {} };
const CHAIN_ID = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906";

const BACKUPS = [
  {
    name: "0000000120-20261201T100000Z-nightly",
    chainId: CHAIN_ID,
    head: { num: 120, id: "x" },
    createdAt: "2026-12-01T10:00:00.000Z",
    tag: "nightly",
    serverVersion: "v5",
    files: 3,
    sizeBytes: 3 * 1024 * 1024,
    dataBytes: 1,
    newBytes: 1,
    finalizers: null,
  },
  {
    name: "0000000100-20261130T100000Z-manual",
    chainId: CHAIN_ID,
    head: { num: 100, id: "y" },
    createdAt: "2026-11-30T10:00:00.000Z",
    tag: "manual",
    serverVersion: "v5",
    files: 3,
    sizeBytes: 1536,
    dataBytes: 1,
    newBytes: 1,
    finalizers: null,
  },
];

const backups: BackupService = {
  async backup(ctx) {
    ctx.log("uploading chunks");
    ctx.log("chunk 3 retried after a reset", "warn");
    return { name: BACKUPS[0]?.name };
  },
  async restore() {
    return {};
  },
  async list() {
    return BACKUPS;
  },
};

const production: ProductionService = {
  async safelyPause() {
    return {};
  },
  async safelyResume() {
    return {};
  },
  async waitSafeToRestart() {},
  status: () => ({
    producerName: "eosproducer1",
    state: "standby",
    paused: true,
    signing: false,
    coordinator: "etcd",
    holdsLease: false,
    leaseLost: null,
    guard: {
      at: Date.parse("2026-12-01T09:00:00Z"),
      reason: "block 99 of ours came from another node",
      trip: "produced-elsewhere",
      action: "paused",
    },
    finalizer: { key: "PUB_BLS_abc", activeOnChain: false },
    finalizerKeyConflicts: [{ key: "PUB_BLS_abc", node: "bp-2", api: null }],
    start: { state: "refused", reason: "another node of ours produces" },
    takeover: null,
  }),
};

let chain: MemoryChain;
let api: string;
let stop: () => Promise<void>;
beforeAll(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), "manageos-cli-"));
  chain = new MemoryChain(20);
  const gate = new ProxyGate();
  const registry = createMetricsRegistry({ app: "eos" });
  const queue = new JobQueue({ stateDir }, { logger });
  const operator = new Operator(
    { app: "eos", stateDir, syncedMaxLag: 5_000, blockInterval: 20, syncTimeout: 5_000 },
    { chain, queue, gate, logger, metrics: createOperatorMetrics(registry, gate), backups, production },
  );
  const ticker = setInterval(() => chain.tick(), 20);
  await operator.start();
  const server = await createApiServer({ token: TOKEN }, { operator, registry, logger });
  api = await server.listen({ host: "127.0.0.1", port: 0 });
  stop = async () => {
    clearInterval(ticker);
    await operator.shutdown();
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  };
});
afterAll(async () => {
  await stop();
});

// Runs the CLI with the client commands; `--api` is added unless given.
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const argv = args.includes("--api") || args[0]?.startsWith("stau") ? args : [...args, "--api", api];
  const code = await runCli(VARIANT, argv, { commands: [clientCommands], io: { out: (t) => (out += t), err: (t) => (err += t), env } });
  return { code, out, err };
}

describe("the CLI as a client of the operator API", () => {
  it("names a mistyped command and suggests the right one, exit 64, instead of taking it for run's arguments", async () => {
    const res = await cli(["stauts"]);
    expect(res.code).toBe(EXIT.usage);
    expect(res.err).toContain("unknown command 'stauts' (did you mean status?)");
    expect(res.err).not.toContain("too many arguments");
  });

  it("takes --api host:port as http://host:port, and refuses an address it cannot use with the expected form", async () => {
    const hostPort = api.replace(/^http:\/\//, "");
    const ok = await cli(["status", "--api", hostPort]);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.out).toContain("app:");
    const bad = await cli(["status", "--api", "ftp://127.0.0.1:1"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toContain("CLI_ERR_BAD_API");
    expect(bad.err).toContain("expected http://host:port");
    expect(bad.err).not.toContain("Invalid URL");
  });

  it("says to pass --token or set MANAGEOS_TOKEN when the API answers 401", async () => {
    const res = await cli(["maintenance", "--no-wait"]);
    expect(res.code).toBe(EXIT.failure);
    expect(res.err).toContain("API_ERR_UNAUTHORIZED");
    expect(res.err).toContain("--token");
    expect(res.err).toContain("MANAGEOS_TOKEN");
  });

  it("shows production (state, paused, signing, lease, guard) and the dirty state in human status", async () => {
    chain.dirty = true;
    const res = await cli(["status"]);
    chain.dirty = false;
    expect(res.code, res.err).toBe(EXIT.ok);
    expect(res.out).toMatch(/^production: eosproducer1 standby, paused: true, signing: false, holdsLease: false \(etcd\)$/m);
    expect(res.out).toMatch(
      /^guard: .*paused \(produced-elsewhere\) at 2026-12-01T09:00:00.000Z: block 99 of ours came from another node$/m,
    );
    expect(res.out).toMatch(/^start: +refused \(another node of ours produces\)$/m);
    expect(res.out).toMatch(/^finalizer: +PUB_BLS_abc, activeOnChain: false, also held by bp-2 \(PUB_BLS_abc\)$/m);
    expect(res.out).toMatch(/^dirty: +true \(node.dirty/m);
  });

  it("lists backups as a table of name, time, head, size, tag and chain; --json keeps the JSON", async () => {
    const res = await cli(["backups"]);
    expect(res.code, res.err).toBe(EXIT.ok);
    const lines = res.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+TIME\s+HEAD\s+SIZE\s+TAG\s+CHAIN$/);
    expect(lines[1]).toMatch(
      /^0000000120-20261201T100000Z-nightly\s+2026-12-01T10:00:00.000Z\s+#120\s+3.0 MiB\s+nightly\s+aca376f206b8fc25$/,
    );
    expect(lines[2]).toMatch(
      /^0000000100-20261130T100000Z-manual\s+2026-11-30T10:00:00.000Z\s+#100\s+1.5 KiB\s+manual\s+aca376f206b8fc25$/,
    );
    expect(JSON.parse((await cli(["backups", "--json"])).out)).toEqual(BACKUPS);
  });

  it("shows a job's log lines with their levels in jobs <id>", async () => {
    const done = await cli(["backup", "--token", TOKEN]);
    expect(done.code, done.err).toBe(EXIT.ok);
    const id = done.out.split(/\s+/)[0] as string;
    const res = await cli(["jobs", id]);
    expect(res.code, res.err).toBe(EXIT.ok);
    expect(res.out).toMatch(/^\s+\S+\s+info\s+uploading chunks$/m);
    expect(res.out).toMatch(/^\s+\S+\s+warn\s+chunk 3 retried after a reset$/m);
  });
});
