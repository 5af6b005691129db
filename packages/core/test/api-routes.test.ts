import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type BackupService,
  commandRouteTable,
  createApiServer,
  createMetricsRegistry,
  createOperatorMetrics,
  type JobContext,
  JobQueue,
  Operator,
  type ProductionService,
  ProxyGate,
} from "../src/index.js";
import { MemoryChain } from "./support/memory-chain.js";

const logger = pino({ level: "silent" });
const TOKEN = "s3cret-token-for-tests";
const BLOCK_INTERVAL = 20;

/** Backups for route tests: each call waits for `release()` so tests can hold the queue busy. */
class HeldBackups implements BackupService {
  calls: string[] = [];
  #release: (() => void) | undefined;
  #held = Promise.resolve();
  hold(): void {
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  release(): void {
    this.#release?.();
  }
  async backup(ctx: JobContext, params: { tag?: string }) {
    this.calls.push(`backup:${params.tag ?? ""}`);
    ctx.progress({ current: 1, total: 2, unit: "bytes", message: "uploading" });
    await this.#held;
    return { name: "0000000101-20261122T080000Z-manual.json" };
  }
  async restore(_ctx: JobContext, params: { backup: string }) {
    this.calls.push(`restore:${params.backup}`);
    return { restored: params.backup };
  }
  async list(params: { limit: number; offset: number }) {
    return { backups: [], limit: params.limit, offset: params.offset };
  }
}

interface Harness {
  app: FastifyInstance;
  chain: MemoryChain;
  operator: Operator;
  gate: ProxyGate;
  backups: HeldBackups;
  stateDir: string;
  stop(): Promise<void>;
}

async function harness(
  options: { token?: string; withBackups?: boolean; production?: (chain: MemoryChain) => ProductionService; stateDir?: string } = {},
): Promise<Harness> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), "manageos-api-")));
  const chain = new MemoryChain(BLOCK_INTERVAL);
  const gate = new ProxyGate();
  const registry = createMetricsRegistry({ app: "eos" });
  const queue = new JobQueue({ stateDir }, { logger });
  const backups = new HeldBackups();
  const operator = new Operator(
    { app: "eos", stateDir, syncedMaxLag: 5_000, blockInterval: BLOCK_INTERVAL, syncTimeout: 5_000 },
    {
      chain,
      queue,
      gate,
      logger,
      metrics: createOperatorMetrics(registry, gate),
      backups: options.withBackups === false ? undefined : backups,
      ...(options.production === undefined ? {} : { production: options.production(chain) }),
    },
  );
  const ticker = setInterval(() => chain.tick(), BLOCK_INTERVAL);
  await operator.start();
  const app = await createApiServer({ token: options.token }, { operator, registry, logger });
  return {
    app,
    chain,
    operator,
    gate,
    backups,
    stateDir,
    async stop() {
      backups.release();
      clearInterval(ticker);
      await operator.shutdown();
      await app.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

async function untilReady(app: FastifyInstance): Promise<void> {
  for (;;) {
    const res = await app.inject({ url: "/healthz" });
    if (res.statusCode === 200) return;
    await new Promise((r) => setTimeout(r, BLOCK_INTERVAL));
  }
}

describe("read-only routes", () => {
  beforeEach(async () => {
    h = await harness();
  });

  it("healthz says why it is not ready, then 200 once the node runs and is synced", async () => {
    h.chain.state = "stopped";
    const stopped = await h.app.inject({ url: "/v1/healthz" });
    expect(stopped.statusCode).toBe(503);
    expect(stopped.json().reasons).toContain("node is stopped");
    h.chain.state = "running";
    await untilReady(h.app);
    expect((await h.app.inject({ url: "/healthz" })).json()).toEqual({ ready: true, reasons: [] });
  });

  it("status and its is_running alias show the node, head, proxy gate and job", async () => {
    await untilReady(h.app);
    const status = (await h.app.inject({ url: "/v1/manageos/status" })).json();
    expect(status).toMatchObject({
      app: "eos",
      state: "running",
      maintenance: false,
      synced: true,
      proxy: { open: true, reasons: [] },
      job: null,
    });
    expect(status.head.num).toBeGreaterThan(100);
    expect(status.chainId).toMatch(/^[0-9a-f]{64}$/);
    const alias = (await h.app.inject({ url: "/v1/is_running" })).json();
    expect(alias.is_running).toBe(true);
  });

  it("server_id answers the hostname, metrics answer Prometheus text", async () => {
    await untilReady(h.app);
    expect((await h.app.inject({ url: "/v1/server_id" })).json().server_id).toMatch(/\S/);
    const metrics = await h.app.inject({ url: "/metrics" });
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^manageos_node_synced\{app="eos"\} 1$/m);
  });

  it("unknown routes are 404 with a code", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/nodeos/explode" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: "API_ERR_NOT_FOUND", message: "no route POST /v1/nodeos/explode" });
  });
});

describe("commands", () => {
  beforeEach(async () => {
    h = await harness();
    await untilReady(h.app);
  });

  it("every command route and its alias exists", async () => {
    for (const route of commandRouteTable(h.chain.kind)) {
      for (const path of [route.path, route.alias]) {
        const res = await h.app.inject({ method: "POST", url: `${path}?bogus=1` });
        expect(res.statusCode, path).toBe(400);
        expect(res.json().code, path).toBe("API_ERR_BAD_REQUEST");
      }
    }
  });

  it("maintenance closes the gate, stops the node and persists; resume restarts and waits until synced", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/maintenance?sync=true" });
    expect(res.statusCode).toBe(200);
    expect(res.json().job).toMatchObject({ kind: "maintenance", state: "succeeded" });
    expect(h.chain.state).toBe("stopped");
    expect(h.gate.status().reasons).toContain("maintenance");
    expect(JSON.parse(await readFile(join(h.stateDir, "operator.json"), "utf8"))).toEqual({ maintenance: true, resumeProduction: false });
    const health = (await h.app.inject({ url: "/healthz" })).json();
    expect(health.reasons).toContain("maintenance");

    const resumed = await h.app.inject({ method: "POST", url: "/v1/nodeos/resume?sync=true" });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json().result.head.headBlockNum).toBeGreaterThan(100);
    expect(h.gate.isOpen).toBe(true);
    expect(h.chain.starts).toBe(2);
  });

  it("brings back production that maintenance paused through the safe resume after restart, also across a manageos restart", async () => {
    await h.stop();
    const stateDir = await mkdtemp(join(tmpdir(), "manageos-api-"));
    const resumes: number[] = [];
    // Pauses and resumes the chain as the real service would, recording the resumes after a restart.
    const production = (chain: MemoryChain): ProductionService => ({
      safelyPause: async () => chain.pauseProduction(),
      safelyResume: async () => chain.resumeProduction(),
      waitSafeToRestart: async () => undefined,
      resumeAfterRestart: async (_ctx, timeoutMs) => {
        resumes.push(timeoutMs);
        await chain.resumeProduction();
        return { resumed: true };
      },
      status: () => ({ paused: chain.paused }),
    });
    h = await harness({ production });
    await untilReady(h.app);
    h.chain.paused = false;
    const maintenance = await h.app.inject({ method: "POST", url: "/v1/maintenance?sync=true" });
    expect(maintenance.json().result).toMatchObject({ resumesProduction: true });
    expect(h.chain.paused).toBe(true);
    // manageos restarts while in maintenance: the node stays stopped, and what to bring back is remembered.
    const persisted = JSON.parse(await readFile(join(h.stateDir, "operator.json"), "utf8"));
    expect(persisted).toEqual({ maintenance: true, resumeProduction: true });
    await h.stop();
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, "operator.json"), JSON.stringify(persisted));
    h = await harness({ production, stateDir });
    expect(h.chain.starts).toBe(0);
    const resumed = await h.app.inject({ method: "POST", url: "/v1/nodeos/resume?sync=true" });
    expect(resumed.json().result).toMatchObject({ production: { resumed: true } });
    expect(resumes).toEqual([60_000]);
    expect(h.chain.paused).toBe(false);
    expect(JSON.parse(await readFile(join(h.stateDir, "operator.json"), "utf8"))).toEqual({ maintenance: false, resumeProduction: false });

    // Paused before maintenance: it stays paused after resume.
    await h.chain.pauseProduction();
    expect((await h.app.inject({ method: "POST", url: "/v1/maintenance?sync=true" })).json().result).toMatchObject({
      resumesProduction: false,
    });
    const again = await h.app.inject({ method: "POST", url: "/v1/nodeos/resume?sync=true" });
    expect(again.json().result).toMatchObject({ production: null });
    expect(resumes).toHaveLength(1);
    expect(h.chain.paused).toBe(true);
  });

  it("answers 202 with Location, then the job and its SSE stream show it finish", async () => {
    h.backups.hold();
    const res = await h.app.inject({ method: "POST", url: "/v1/manageos/backup?tag=nightly" });
    expect(res.statusCode).toBe(202);
    const { job } = res.json();
    expect(res.headers.location).toBe(`/v1/jobs/${job.id}`);
    expect((await h.app.inject({ url: res.headers.location as string })).json().job.kind).toBe("backup");
    // A client that refuses an event stream gets 406 in the API's own error shape.
    const refused = await h.app.inject({ url: `/v1/jobs/${job.id}/events`, headers: { accept: "application/json" } });
    expect(refused.statusCode).toBe(406);
    expect(refused.json()).toEqual({ code: "API_ERR_NOT_ACCEPTABLE", message: expect.stringContaining("text/event-stream") });
    const events = h.app.inject({ url: `/v1/jobs/${job.id}/events`, headers: { accept: "text/event-stream" } });
    setTimeout(() => h.backups.release(), 50);
    const body = (await events).body;
    const states = [...body.matchAll(/^data: (.*)$/gm)]
      .map((m) => JSON.parse(m[1] as string))
      .filter((d) => d.kind)
      .map((d) => d.state);
    expect(states[0]).toBe("running");
    expect(states.at(-1)).toBe("succeeded");
    expect(body).toContain("event: end");
    expect(h.backups.calls).toEqual(["backup:nightly"]);
    const list = (await h.app.inject({ url: "/v1/jobs" })).json();
    expect(list.jobs[0].id).toBe(job.id);
  });

  it("a second command while one runs is 409 naming the running job, or queued on request", async () => {
    h.backups.hold();
    const first = (await h.app.inject({ method: "POST", url: "/v1/backup" })).json().job;
    const busy = await h.app.inject({ method: "POST", url: "/v1/restore?backup=latest" });
    expect(busy.statusCode).toBe(409);
    expect(busy.json()).toMatchObject({ code: "JOB_ERR_BUSY", details: { runningJob: first.id, runningKind: "backup" } });
    const queued = await h.app.inject({ method: "POST", url: "/v1/restore?backup=latest&queue=true" });
    expect(queued.statusCode).toBe(202);
    expect(queued.json().job.state).toBe("queued");
    h.backups.release();
    await h.operator.queue.wait(queued.json().job.id);
    expect(h.backups.calls).toEqual(["backup:", "restore:latest"]);
  });

  it("cancels a queued job", async () => {
    h.backups.hold();
    await h.app.inject({ method: "POST", url: "/v1/backup" });
    const queued = (await h.app.inject({ method: "POST", url: "/v1/nodeos/reload?queue=true" })).json().job;
    const cancelled = await h.app.inject({ method: "DELETE", url: `/v1/jobs/${queued.id}` });
    expect(cancelled.json().job.state).toBe("cancelled");
    const again = await h.app.inject({ method: "DELETE", url: `/v1/jobs/${queued.id}` });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe("JOB_ERR_NOT_CANCELLABLE");
  });

  it("a failed job answers its own code and status with ?sync=true", async () => {
    h.chain.failNextStart = Object.assign(new Error("database dirty flag set"), { name: "ManageosError", code: "SUP_ERR_DIRTY" });
    const res = await h.app.inject({ method: "POST", url: "/v1/nodeos/reload?sync=true" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: "SUP_ERR_DIRTY", details: { job: { state: "failed", kind: "reload" } } });
  });

  it("validates query strings", async () => {
    const cases = [
      "/v1/manageos/backups?limit=abc",
      "/v1/manageos/backups?limit=0",
      "/v1/list_backups?offset=-1",
      "/v1/jobs?limit=100000",
      "/v1/jobs/not-a-job-id",
    ];
    for (const url of cases) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toBe("API_ERR_BAD_REQUEST");
    }
    const traversal = await h.app.inject({ method: "POST", url: "/v1/restore?backup=../../etc/passwd" });
    expect(traversal.statusCode).toBe(400);
    const list = await h.app.inject({ url: "/v1/manageos/backups?limit=5&offset=10" });
    expect(list.json()).toEqual({ backups: [], limit: 5, offset: 10 });
  });

  it("survives anything a client sends: no 5xx from garbage", async () => {
    const methods = ["GET", "POST", "DELETE", "PUT"] as const;
    const paths = ["/v1/jobs/", "/v1/backup", "/v1/restore", "/healthz", "/v1/jobs/%ff", "/%00", "/v1/manageos/status"];
    const suffixes = ["", "?sync=maybe", "?queue[]=1", "?backup=%00", "?limit=1e999", "?" + "a=1&".repeat(500)];
    for (const method of methods) {
      for (const path of paths) {
        for (const suffix of suffixes) {
          const res = await h.app.inject({
            method,
            url: path + suffix,
            headers: { "content-type": "application/json" },
            payload: method === "GET" ? undefined : '{"broken":',
          });
          expect(res.statusCode, `${method} ${path}${suffix}`).toBeLessThan(500);
          expect(typeof res.json().code === "string" || res.statusCode < 300 || res.statusCode === 503).toBe(true);
        }
      }
    }
    expect(h.chain.state).toBe("running");
  });
});

describe("without backups configured", () => {
  beforeEach(async () => {
    h = await harness({ withBackups: false });
  });
  it("backup routes answer 501 with a code", async () => {
    for (const [method, url] of [
      ["POST", "/v1/backup"],
      ["GET", "/v1/list_backups"],
      ["POST", "/v1/snapshot"],
    ] as const) {
      const res = await h.app.inject({ method, url });
      expect(res.statusCode, url).toBe(501);
      expect(res.json().code).toBe("OPS_ERR_UNAVAILABLE");
    }
  });
});

describe("with a token", () => {
  beforeEach(async () => {
    h = await harness({ token: TOKEN });
  });
  it("mutating routes need the bearer token; reads do not", async () => {
    const none = await h.app.inject({ method: "POST", url: "/v1/backup" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.json().code).toBe("API_ERR_UNAUTHORIZED");
    const wrong = await h.app.inject({ method: "POST", url: "/v1/backup", headers: { authorization: "Bearer nope" } });
    expect(wrong.statusCode).toBe(401);
    const cancel = await h.app.inject({ method: "DELETE", url: "/v1/jobs/abc-12345678" });
    expect(cancel.statusCode).toBe(401);
    const right = await h.app.inject({ method: "POST", url: "/v1/backup", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.statusCode).toBe(202);
    expect((await h.app.inject({ url: "/v1/manageos/status" })).statusCode).toBe(200);
  });
});
