import { hostname } from "node:os";
import { loadConfig } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { nodeosChainOptions } from "./options.js";

describe("nodeos chain options", () => {
  it("compares producerHostname with this machine's hostname unless one is configured", async () => {
    expect(nodeosChainOptions(await loadConfig()).hostname).toBe(hostname());
    expect(nodeosChainOptions(await loadConfig({ set: ["hostname=bp-node-2"] })).hostname).toBe("bp-node-2");
  });

  it("carries the TERM policy and bp settings from the configuration", async () => {
    const config = await loadConfig({
      set: ["superviser.killAfter=90s", "bp.enabled=true", "bp.producerName=bp.a", "mindreader.enabled=true"],
    });
    const options = nodeosChainOptions(config);
    expect(options.terminate).toEqual({ termRetryInterval: 10_000, killAfter: 90_000 });
    expect(options.bp).toMatchObject({ enabled: true, producerName: "bp.a" });
    expect(options.deepMind).toBe(true);
  });
});
