import { fileURLToPath } from "node:url";
import type { HeadInfo } from "@manageos/core";
import { validateConfig } from "@manageos/core";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createGethChain, type GethChain } from "../src/geth/geth-chain.js";
import { isAlive } from "@manageos/testkit";
import { quietLogger, tempDir, waitFor } from "./helpers.js";
import { metricValue } from "./nodeos-helpers.js";

// The platform binary, not the JS wrapper (which exits 143 on TERM).
const ANVIL = fileURLToPath(new URL("../../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil", import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("geth Chain against anvil", () => {
  it("starts the node, follows blocks over JSON-RPC, and stops it with SIGTERM", async () => {
    const { dir, remove } = await tempDir("geth-");
    const config = validateConfig({
      app: { flavour: "geth" },
      node: { kind: "geth", binary: ANVIL, dataDir: dir, pollInterval: 200 },
      geth: { args: ["--port", "{http-port}", "--host", "{http-host}", "--block-time", "1"], rpcUrl: "http://127.0.0.1:0" },
      superviser: { termRetryInterval: "2s", killAfter: "20s", restart: { policy: "never" } },
    });
    const registry = new Registry();
    const chain: GethChain = createGethChain(config, { logger: quietLogger(), registry });
    cleanups.push(async () => {
      await chain.close();
      await remove();
    });
    await chain.start();
    const pid = chain.status().pid as number;
    const [first] = await waitFor<[HeadInfo]>(chain, "head");
    const [later] = await waitFor<[HeadInfo]>(chain, "head", (h) => h.headBlockNum >= first.headBlockNum + 2);
    expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(chain.rpcUrl).not.toBe("http://127.0.0.1:0");
    expect(later.chainId).toBe("31337");
    expect(later.headBlockId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(Date.parse(later.headBlockTime as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(await metricValue(registry, "manageos_chain_head_block_number")).toBeGreaterThanOrEqual(later.headBlockNum);
    expect(chain.status().lastBlock?.num).toBeGreaterThanOrEqual(later.headBlockNum);
    const exit = await chain.stop();
    expect(exit).toMatchObject({ exitCode: 0, signal: undefined, killed: false, requested: true });
    expect(isAlive(pid)).toBe(false);
    expect(chain.status().state).toBe("stopped");
  });
});
