import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { atomicWriteJson } from "@manageos/core";
import { TestkitErrors } from "../errors.js";
import { finalizerTablesFile, seedFinalizerTables } from "../savanna/finalizer-table.js";

/** A simulated chain shared by several nodeos-sim instances: genesis time, block interval, schedule. */
export interface ClusterConfig {
  readonly genesisTimeMs: number;
  readonly blockIntervalMs: number;
  readonly roundLength: number;
  readonly producers: readonly string[];
  readonly chainId: string;
  /** Public keys (EOS... / PUB_K1_...) of each account's `active` permission, for transactions sent to the nodes. */
  readonly accounts?: Readonly<Record<string, readonly string[]>>;
}

/** Options of createCluster; everything but the producers has a default. */
export interface ClusterOptions {
  producers?: readonly string[];
  roundLength?: number;
  blockIntervalMs?: number;
  /** Epoch milliseconds; defaults to now rounded down to the block interval. */
  genesisTime?: number;
  /**
   * Public keys of each account's `active` permission (producers sign regfinkey/actfinkey with them); an entry
   * `<account>@<permission>` is a permission linked to the finalizer key actions (linkauth).
   */
  accounts?: Readonly<Record<string, readonly string[]>>;
  /** Finalizer keys registered at genesis, per producer, in order; the first of each is active (Spring nodes). */
  finalizerKeys?: Readonly<Record<string, readonly string[]>>;
}

/** `<dir>/cluster.json`. */
export function clusterFile(dir: string): string {
  return join(dir, "cluster.json");
}

/** Writes a cluster dir that nodeos-sim instances join with NODEOS_SIM_CLUSTER_DIR. */
export async function createCluster(dir: string, opts: ClusterOptions = {}): Promise<ClusterConfig> {
  const blockIntervalMs = opts.blockIntervalMs ?? 500;
  const genesisTimeMs = opts.genesisTime ?? Math.floor(Date.now() / blockIntervalMs) * blockIntervalMs;
  const producers = opts.producers ?? ["bp.a", "bp.b", "bp.c"];
  const config: ClusterConfig = {
    genesisTimeMs,
    blockIntervalMs,
    roundLength: opts.roundLength ?? 12,
    producers,
    chainId: createHash("sha256")
      .update(`cluster:${genesisTimeMs}:${producers.join(",")}`)
      .digest("hex"),
    ...(opts.accounts === undefined ? {} : { accounts: opts.accounts }),
  };
  validate(dir, config);
  await mkdir(join(dir, "ledger"), { recursive: true });
  if (opts.finalizerKeys !== undefined) await atomicWriteJson(finalizerTablesFile(dir), seedFinalizerTables(opts.finalizerKeys, producers));
  await atomicWriteJson(clusterFile(dir), config);
  return config;
}

/** Reads and checks a cluster dir's config. */
export async function readCluster(dir: string): Promise<ClusterConfig> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(clusterFile(dir), "utf8")) as unknown;
  } catch (error) {
    throw TestkitErrors.clusterInvalid(dir, (error as Error).message, { cause: error });
  }
  if (typeof value !== "object" || value === null) throw TestkitErrors.clusterInvalid(dir, "not an object");
  const v = value as Record<string, unknown>;
  const config: ClusterConfig = {
    genesisTimeMs: Number(v.genesisTimeMs),
    blockIntervalMs: Number(v.blockIntervalMs),
    roundLength: Number(v.roundLength),
    producers: Array.isArray(v.producers) ? v.producers.map(String) : [],
    chainId: String(v.chainId),
    ...(typeof v.accounts === "object" && v.accounts !== null ? { accounts: accountsOf(v.accounts) } : {}),
  };
  validate(dir, config);
  return config;
}

function accountsOf(raw: object): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, keys] of Object.entries(raw)) out[name] = Array.isArray(keys) ? keys.map(String) : [];
  return out;
}

function validate(dir: string, c: ClusterConfig): void {
  if (!Number.isFinite(c.genesisTimeMs)) throw TestkitErrors.clusterInvalid(dir, "genesisTimeMs");
  if (!(c.blockIntervalMs > 0)) throw TestkitErrors.clusterInvalid(dir, "blockIntervalMs must be > 0");
  if (!(Number.isInteger(c.roundLength) && c.roundLength > 0))
    throw TestkitErrors.clusterInvalid(dir, "roundLength must be a positive integer");
  if (c.producers.length === 0) throw TestkitErrors.clusterInvalid(dir, "no producers");
  if (!/^[0-9a-f]{64}$/.test(c.chainId)) throw TestkitErrors.clusterInvalid(dir, "chainId");
}

/** The producer scheduled for block `num`: rounds of roundLength blocks per producer, in order. */
export function scheduledProducer(c: Pick<ClusterConfig, "producers" | "roundLength">, num: number): string {
  return c.producers[Math.floor(num / c.roundLength) % c.producers.length]!;
}
