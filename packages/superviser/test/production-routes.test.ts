import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiServer, createMetricsRegistry, createOperatorMetrics, JobQueue, Operator, ProxyGate } from "@manageos/core";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryChain } from "../../core/test/support/memory-chain.js";
import { productionCommandRoutes, productionRoutes } from "../src/index.js";

const logger = pino({ level: "silent" });
const BLOCK_INTERVAL = 20;

interface Harness {
  app: FastifyInstance;
  chain: MemoryChain;
  stop(): Promise<void>;
}

// The operator API of a nodeos daemon outside bp mode: core's routes and those of nodeos' production.
async function harness(): Promise<Harness> {
  const stateDir = await mkdtemp(join(tmpdir(), "manageos-api-"));
  const chain = new MemoryChain(BLOCK_INTERVAL);
  const gate = new ProxyGate();
  const registry = createMetricsRegistry({ app: "eos" });
  const queue = new JobQueue({ stateDir }, { logger });
  const operator = new Operator(
    { app: "eos", stateDir, syncedMaxLag: 5_000, blockInterval: BLOCK_INTERVAL, syncTimeout: 5_000 },
    { chain, queue, gate, logger, metrics: createOperatorMetrics(registry, gate) },
  );
  const ticker = setInterval(() => chain.tick(), BLOCK_INTERVAL);
  await operator.start();
  const app = await createApiServer(
    {},
    { operator, registry, logger, routes: [productionRoutes({ chain, operator, production: undefined })] },
  );
  return {
    app,
    chain,
    async stop() {
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

describe("production commands", () => {
  beforeEach(async () => {
    h = await harness();
    for (;;) {
      if ((await h.app.inject({ url: "/healthz" })).statusCode === 200) break;
      await new Promise((r) => setTimeout(r, BLOCK_INTERVAL));
    }
  });

  it("every production command route and its alias exists", async () => {
    for (const route of productionCommandRoutes({ chain: h.chain, production: undefined })) {
      for (const path of [route.path, route.alias]) {
        const res = await h.app.inject({ method: "POST", url: `${path}?bogus=1` });
        expect(res.statusCode, path).toBe(400);
        expect(res.json().code, path).toBe("API_ERR_BAD_REQUEST");
      }
    }
  });

  it("pauses and resumes production through the producer API", async () => {
    h.chain.paused = false;
    const paused = await h.app.inject({ method: "POST", url: "/v1/nodeos/pause_production?sync=true" });
    expect(paused.json().result).toEqual({ paused: true });
    expect(h.chain.paused).toBe(true);
  });

  it("refuses bp-only commands outside bp mode", async () => {
    const res = await h.app.inject({ method: "POST", url: "/v1/safely_pause_production" });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("OPS_ERR_NOT_BP_MODE");
  });
});
