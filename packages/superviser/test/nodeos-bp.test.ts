import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlockEvent } from "@manageos/core";
import { isProducer, isSnapshotable } from "@manageos/core";
import { type BlocksignerSim, startBlocksignerSim } from "@manageos/testkit";
import { PrivateKey } from "@wharfkit/antelope";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./helpers.js";
import { metricValue, type SimChain, simChain } from "./nodeos-helpers.js";

// The well-known development key of a fresh EOSIO chain: the key nodeos-sim expects for `eosio`.
const DEV_KEY = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const DEV_PUB = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

const chains: SimChain[] = [];
const signers: BlocksignerSim[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.dispose();
  for (const s of signers.splice(0)) await s.stop();
});

describe("nodeos Chain in bp mode", () => {
  it("writes one KEOSD signature-provider per blocksigner key, starts paused, and produces once resumed", async () => {
    const other = PrivateKey.generate("K1").toWif();
    const signer = await startBlocksignerSim({ keys: [DEV_KEY, other] });
    signers.push(signer);
    expect(signer.publicKeys).toContain(DEV_PUB);
    const c = await simChain({ bp: { enabled: true, producerName: "eosio", blocksigner: signer.url } });
    chains.push(c);
    await c.chain.start();
    const text = await readFile(join(c.configDir, "config.ini"), "utf8");
    const providers = text.split("\n").filter((l) => l.startsWith("signature-provider = "));
    expect(providers).toEqual(signer.publicKeys.map((k) => `signature-provider = ${k}=KEOSD:${signer.signDigestUrl}`));
    expect(text).toContain("pause-on-startup = true\n");
    expect(text).toContain("producer-name = eosio\n");

    expect(isProducer(c.chain)).toBe(true);
    expect(isSnapshotable(c.chain)).toBe(true);
    await waitFor(c.chain, "head");
    expect(await c.chain.isProductionPaused()).toBe(true);
    const produced = waitFor<[BlockEvent]>(c.chain, "block", (b) => b.kind === "produced");
    await c.chain.resumeProduction();
    expect(await c.chain.isProductionPaused()).toBe(false);
    const [block] = await produced;
    expect(block).toMatchObject({ producer: "eosio", kind: "produced" });
    expect(await metricValue(c.registry, "manageos_chain_blocks_produced_total", { producer: "eosio" })).toBeGreaterThanOrEqual(1);
    await c.chain.pauseProduction();
    expect(await c.chain.isProductionPaused()).toBe(true);

    const snapshot = await c.chain.createSnapshot();
    expect(snapshot.headBlockNum).toBeGreaterThan(0);
    expect(snapshot.snapshotName).toContain(c.dataDir);
    const integrity = await c.chain.producerApi.getIntegrityHash();
    expect(integrity.integrityHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("always starts paused; the designated producer host is meant to produce until paused there, any node once resumed", async () => {
    const signer = await startBlocksignerSim({ keys: [DEV_KEY] });
    signers.push(signer);
    const c = await simChain({
      hostname: "bp-1",
      bp: { enabled: true, producerName: "eosio", blocksigner: signer.url, producerHostname: "bp-1" },
    });
    chains.push(c);
    expect(c.chain.wantsProduction()).toBe(true);
    await c.chain.start();
    expect(await readFile(join(c.configDir, "config.ini"), "utf8")).toContain("pause-on-startup = true\n");
    await waitFor(c.chain, "head");
    expect(await c.chain.isProductionPaused()).toBe(true);

    // Paused here (by hand, a handoff, a job): no longer meant to produce, across restarts, until resumed here.
    await c.chain.pauseProduction();
    expect(c.chain.wantsProduction()).toBe(false);
    await c.chain.restart();
    await waitFor(c.chain, "head");
    expect(c.chain.wantsProduction()).toBe(false);
    await c.chain.resumeProduction();
    expect(c.chain.wantsProduction()).toBe(true);
    await c.chain.restart();
    expect(await readFile(join(c.configDir, "config.ini"), "utf8")).toContain("pause-on-startup = true\n");
    await waitFor(c.chain, "head");
    expect(await c.chain.isProductionPaused()).toBe(true);
    expect(c.chain.wantsProduction()).toBe(true);

    const other = await simChain({
      hostname: "bp-2",
      bp: { enabled: true, producerName: "eosio", blocksigner: signer.url, producerHostname: "bp-1" },
    });
    chains.push(other);
    expect(other.chain.wantsProduction()).toBe(false);
  });

  it("fails to start with a coded error when the blocksigner never answers", async () => {
    const signer = await startBlocksignerSim({ keys: [DEV_KEY] });
    const url = signer.url;
    await signer.stop();
    const c = await simChain({ bp: { enabled: true, producerName: "eosio", blocksigner: url } });
    chains.push(c);
    await expect(c.chain.start()).rejects.toMatchObject({ code: "SUP_ERR_BLOCKSIGNER" });
    expect(c.chain.status().state).toBe("failed");
  });
});
