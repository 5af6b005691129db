import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlockEvent, DirtyEvent, HeadInfo } from "@manageos/core";
import { afterEach, describe, expect, it } from "vitest";
import { getInfo } from "../src/nodeos/chain-api.js";
import { isStateDirty } from "../src/nodeos/dirty-flag.js";
import { waitFor } from "./helpers.js";
import { metricValue, type SimChain, simChain } from "./nodeos-helpers.js";

const chains: SimChain[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.dispose();
});

async function make(...args: Parameters<typeof simChain>): Promise<SimChain> {
  const c = await simChain(...args);
  chains.push(c);
  return c;
}

// Waits until a head poll shows at least `num`.
function headAtLeast(c: SimChain, num: number): Promise<[HeadInfo]> {
  return waitFor<[HeadInfo]>(c.chain, "head", (h) => h.headBlockNum >= num);
}

describe("nodeos Chain on nodeos-sim", () => {
  it("supervises the node, follows head and LIB in metrics, and stops it cleanly", async () => {
    const c = await make();
    await c.chain.start();
    const [first] = await headAtLeast(c, 3);
    const [later] = await headAtLeast(c, first.headBlockNum + 5);
    expect(later.chainId).toMatch(/^[0-9a-f]{64}$/);
    expect(later.serverVersion).toBeDefined();
    const head = await metricValue(c.registry, "manageos_chain_head_block_number");
    const lib = await metricValue(c.registry, "manageos_chain_lib_block_number");
    const truth = await getInfo(c.chain.baseUrl, 5_000);
    expect(head).toBeGreaterThanOrEqual(later.headBlockNum);
    expect(head).toBeLessThanOrEqual(truth.headBlockNum);
    expect(lib).toBeGreaterThan(0);
    expect(lib).toBeLessThan(head as number);
    expect(await metricValue(c.registry, "manageos_chain_db_size_bytes")).toBe(64 * 1024 * 1024);
    expect(await metricValue(c.registry, "manageos_node_up")).toBe(1);
    const drift = await metricValue(c.registry, "manageos_chain_head_block_time_drift_seconds");
    expect(drift).toBeGreaterThan(-1);
    expect(drift).toBeLessThan(10);
    const exit = await c.chain.stop();
    expect(exit).toMatchObject({ exitCode: 0, killed: false, requested: true });
    expect(c.chain.status().state).toBe("stopped");
    expect(await isStateDirty(c.dataDir)).toBe(false);
    expect(c.chain.lastLines().some((l) => l.includes("nodeos successfully exiting"))).toBe(true);
  });

  it("writes config.ini from the template with repeated keys kept in order and managed keys set", async () => {
    const c = await make({ node: { configKeys: { "p2p-peer-address": ["peer-c.example:9876", "peer-d.example:9876"] } } });
    await c.chain.start();
    await headAtLeast(c, 1);
    const text = await readFile(join(c.configDir, "config.ini"), "utf8");
    const pairs = text.split("\n").filter((l) => l.includes(" = "));
    expect(pairs.filter((l) => l.startsWith("plugin = "))).toHaveLength(8);
    expect(pairs.filter((l) => l.startsWith("p2p-peer-address"))).toEqual([
      "p2p-peer-address = peer-c.example:9876",
      "p2p-peer-address = peer-d.example:9876",
    ]);
    expect(pairs).toContain("http-server-address = 127.0.0.1:0");
    expect(
      text.startsWith("# test template\nplugin = eosio::chain_plugin\nplugin = eosio::chain_api_plugin\np2p-peer-address = peer-c"),
    ).toBe(true);
    // nodeos-sim read the same file: its peers are ours, in order.
    const peers = (await (await fetch(`${c.chain.baseUrl}/v1/net/connections`, { method: "POST" })).json()) as { peer: string }[];
    expect(peers.map((p) => p.peer)).toEqual(["peer-c.example:9876", "peer-d.example:9876"]);
  });

  for (const layout of [
    { name: "leap", env: {} as Record<string, string> },
    { name: "leap with syslog prefixes", env: { NODEOS_SIM_SYSLOG: "1" } },
    { name: "EOSIO 1.x (thread-0, conf:)", env: { NODEOS_SIM_LOG_LAYOUT: "legacy" } },
    { name: "EOSIO 1.x with syslog prefixes", env: { NODEOS_SIM_LOG_LAYOUT: "legacy", NODEOS_SIM_SYSLOG: "1" } },
  ]) {
    it(`parses received block lines in the ${layout.name} layout`, async () => {
      const c = await make({}, layout.env);
      const blocks: BlockEvent[] = [];
      c.chain.on("block", (b) => blocks.push(b));
      await c.chain.start();
      const [block] = await waitFor<[BlockEvent]>(c.chain, "block", () => blocks.length >= 5);
      expect(block).toMatchObject({ kind: "received", producer: "eosio" });
      expect(block.idPrefix).toMatch(/^[0-9a-f]{16}$/);
      const nums = blocks.map((b) => b.num);
      expect(nums).toEqual([...nums].sort((a, b) => a - b));
      expect(await metricValue(c.registry, "manageos_chain_blocks_received_total", { producer: "eosio" })).toBeGreaterThanOrEqual(5);
      expect(c.chain.status().lastBlock?.num).toBeGreaterThanOrEqual(block.num);
    });
  }

  it("detects the dirty flag offline after a SIGKILL and refuses to start", async () => {
    const c = await make();
    await c.chain.start();
    await headAtLeast(c, 2);
    const dirtyAfterKill = waitFor<[DirtyEvent]>(c.chain, "dirty");
    process.kill(c.chain.status().pid as number, "SIGKILL");
    expect((await dirtyAfterKill)[0]).toMatchObject({ source: "offline", dataDir: c.dataDir });
    expect(c.chain.status()).toMatchObject({ state: "failed", dirty: true });
    const dirtyBeforeStart = waitFor<[DirtyEvent]>(c.chain, "dirty");
    await expect(c.chain.start()).rejects.toMatchObject({ code: "SUP_ERR_DIRTY" });
    expect((await dirtyBeforeStart)[0].source).toBe("offline");
    expect(await c.chain.isDataDirty()).toBe(true);
    // Data made clean again from outside (a restore from backup): the chain is no longer dirty once it starts.
    const state = await open(join(c.dataDir, "state", "shared_memory.bin"), "r+");
    await state.write(Buffer.from([0]), 0, 1, 8);
    await state.close();
    await c.chain.start();
    expect(c.chain.status().dirty).toBe(false);
    await headAtLeast(c, 3);
  });

  it("learns dirtiness from nodeos' error line and exit code 2, and does not restart it", async () => {
    const c = await make({ superviser: { restart: { policy: "always" } } });
    await c.chain.start();
    await headAtLeast(c, 2);
    const killed = waitFor(c.chain, "exit");
    process.kill(c.chain.status().pid as number, "SIGKILL");
    await killed;
    await waitFor(c.chain, "state", (s: string) => s === "running" || s === "failed");
    await c.chain.stop();
    const sources: string[] = [];
    c.chain.on("dirty", (d) => sources.push(d.source));
    const exited = waitFor<[{ exitCode: number }]>(c.chain, "exit");
    await c.chain.start({ ignoreDirty: true });
    expect((await exited)[0].exitCode).toBe(2);
    expect(c.chain.status().state).toBe("failed");
    expect(sources).toEqual(["log", "exit-code"]);
    expect(c.chain.status().restarts).toBe(1);
  });

  it("replays a dirty node when asked", async () => {
    const c = await make();
    await c.chain.start();
    await headAtLeast(c, 2);
    const exited = waitFor(c.chain, "exit");
    process.kill(c.chain.status().pid as number, "SIGKILL");
    await exited;
    await c.chain.start({ replay: "hard" });
    expect(c.chain.status().dirty).toBe(false);
    await headAtLeast(c, 3);
    expect(c.chain.lastLines().some((l) => l.includes("Hard replay requested"))).toBe(true);
  });
});
