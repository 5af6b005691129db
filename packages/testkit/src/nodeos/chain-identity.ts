import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type ClusterConfig, readCluster } from "../cluster/cluster-config.js";
import { BlockLog } from "./block-log.js";
import type { SimEnv } from "./sim-env.js";
import type { SnapshotContent } from "./snapshot.js";
import type { SimState } from "./state-file.js";

/** Which chain a node runs: id, genesis time, interval and schedule. */
export interface ChainIdentity {
  readonly chainId: string;
  readonly genesisTimeMs: number;
  readonly blockIntervalMs: number;
  readonly producers: readonly string[];
  readonly roundLength: number;
  readonly cluster: ClusterConfig | undefined;
}

/** Settles the chain: the cluster's when in one, else what state, snapshot or block log recorded, else a new chain. */
export async function resolveIdentity(
  env: SimEnv,
  dataDir: string,
  genesisJson: string | undefined,
  state: SimState | undefined,
  snapshot: SnapshotContent | undefined,
): Promise<ChainIdentity> {
  if (env.clusterDir !== undefined) {
    const cluster = await readCluster(env.clusterDir);
    return { ...cluster, cluster };
  }
  const standalone = { blockIntervalMs: env.blockIntervalMs, producers: ["eosio"], roundLength: 12, cluster: undefined };
  const known = state ?? snapshot ?? existingLog(dataDir);
  if (known !== undefined) return { ...standalone, chainId: known.chainId, genesisTimeMs: known.genesisTimeMs };
  const genesis = genesisJson === undefined ? "default-genesis" : await readFile(genesisJson, "utf8");
  return {
    ...standalone,
    chainId: createHash("sha256").update(genesis).digest("hex"),
    genesisTimeMs: Math.floor(Date.now() / env.blockIntervalMs) * env.blockIntervalMs,
  };
}

function existingLog(dataDir: string): { chainId: string; genesisTimeMs: number } | undefined {
  if (!BlockLog.exists(dataDir)) return undefined;
  const log = BlockLog.open(dataDir, { firstBlockNum: 1, chainId: "0".repeat(64), genesisTimeMs: 0 });
  const { chainId, genesisTimeMs } = log.preamble;
  log.close();
  return { chainId, genesisTimeMs };
}
