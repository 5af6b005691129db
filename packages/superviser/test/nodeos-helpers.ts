import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ConfigInput, type Logger, validateConfig } from "@manageos/core";
import { isAlive, NODEOS_SIM_BIN } from "@manageos/testkit";
import { Registry } from "prom-client";
import { NodeosChain } from "../src/nodeos/nodeos-chain.js";
import { nodeosChainOptions } from "../src/nodeos/options.js";
import { quietLogger, tempDir } from "./helpers.js";

/** The config.ini template the tests start from: repeated keys, a value containing `=`. */
export const TEMPLATE = `# test template
plugin = eosio::chain_plugin
plugin = eosio::chain_api_plugin
p2p-peer-address = peer-a.example:9876
plugin = eosio::http_plugin
plugin = eosio::net_plugin
plugin = eosio::net_api_plugin
p2p-peer-address = peer-b.example:9876
plugin = eosio::producer_plugin
plugin = eosio::producer_api_plugin
plugin = eosio::db_size_api_plugin
chain-state-db-size-mb = 64
http-server-address = 0.0.0.0:8888
`;

/** A nodeos Chain on nodeos-sim in a temp dir, closed and removed by `dispose`. */
export interface SimChain {
  chain: NodeosChain;
  registry: Registry;
  dataDir: string;
  configDir: string;
  dispose(): Promise<void>;
}

/** Builds a nodeos Chain (through the config schema) that runs nodeos-sim, or the `node.binary` given. */
export async function simChain(
  overrides: ConfigInput = {},
  env: Record<string, string> = {},
  logger: Logger = quietLogger(),
): Promise<SimChain> {
  const { dir, remove } = await tempDir("nodeos-chain-");
  const template = join(dir, "template.ini");
  await writeFile(template, TEMPLATE);
  const dataDir = join(dir, "data");
  const configDir = join(dir, "config");
  const config = validateConfig({
    ...overrides,
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir,
      configDir,
      configTemplate: template,
      httpAddress: "127.0.0.1:0",
      pollInterval: 100,
      env: { NODEOS_SIM_BLOCK_INTERVAL_MS: "50", ...env },
      ...overrides.node,
    },
    superviser: { termRetryInterval: "2s", killAfter: "20s", restart: { policy: "never" }, ...overrides.superviser },
  });
  const registry = new Registry();
  const chain = new NodeosChain({ ...nodeosChainOptions(config), blocksignerRetryBase: 50 }, { logger, registry });
  return {
    chain,
    registry,
    dataDir,
    configDir,
    dispose: async () => {
      const pid = chain.status().pid;
      await chain.close();
      if (pid !== undefined && isAlive(pid)) throw new Error(`nodeos-sim ${pid} still alive`);
      await remove();
    },
  };
}

/** The value of a gauge or counter (first series, or the one with the labels). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return match?.value;
}
