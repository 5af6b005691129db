import type { BlockEvent, HeadInfo } from "@manageos/core";
import { Counter, Gauge, type Registry } from "prom-client";
import { freeName } from "./replace-metric.js";

/** Sizes of the node's state database, in bytes. */
export interface DbSizeSample {
  usedBytes: number;
  freeBytes: number;
  size: number;
}

/** Chain-level metrics, fed by the monitor (node API) and by block lines. */
export interface ChainMetrics {
  head(head: HeadInfo): void;
  block(block: BlockEvent): void;
  dbSize(sample: DbSizeSample): void;
  peers(count: number): void;
}

/** What the chain metrics know before the first block. */
export interface ChainMetricsOptions {
  /** Producer names this node may produce for (bp mode): their produced-block counters start at zero. */
  readonly producers?: readonly string[];
  readonly now?: () => number;
}

/** Registers the chain metrics: head, LIB, head time drift, block counters by producer, db size, peers. */
export function createChainMetrics(registry: Registry, opts: ChainMetricsOptions = {}): ChainMetrics {
  const now = opts.now ?? Date.now;
  const r = [registry];
  let headTimeMs: number | undefined;
  const headNum = new Gauge({ name: freeName(registry, "manageos_chain_head_block_number"), help: "Head block number", registers: r });
  const libNum = new Gauge({
    name: freeName(registry, "manageos_chain_lib_block_number"),
    help: "Last irreversible block number",
    registers: r,
  });
  new Gauge({
    name: freeName(registry, "manageos_chain_head_block_time_drift_seconds"),
    help: "Now minus the head block time (grows while the head is stuck)",
    registers: r,
    collect() {
      if (headTimeMs !== undefined) this.set((now() - headTimeMs) / 1000);
    },
  });
  const produced = new Counter({
    name: freeName(registry, "manageos_chain_blocks_produced_total"),
    help: "Blocks this node produced, by producer",
    labelNames: ["producer"],
    registers: r,
  });
  // A producer's first blocks must show as an increase, so its series exists before them.
  for (const producer of opts.producers ?? []) produced.inc({ producer }, 0);
  const received = new Counter({
    name: freeName(registry, "manageos_chain_blocks_received_total"),
    help: "Blocks this node received, by producer",
    labelNames: ["producer"],
    registers: r,
  });
  const dbUsed = new Gauge({
    name: freeName(registry, "manageos_chain_db_size_used_bytes"),
    help: "State database bytes used",
    registers: r,
  });
  const dbFree = new Gauge({
    name: freeName(registry, "manageos_chain_db_size_free_bytes"),
    help: "State database bytes free",
    registers: r,
  });
  const dbSize = new Gauge({ name: freeName(registry, "manageos_chain_db_size_bytes"), help: "State database size", registers: r });
  const peers = new Gauge({ name: freeName(registry, "manageos_chain_peers"), help: "Connected peers", registers: r });
  let lastHead = 0;
  let lastLib = 0;
  // The head moves forward from either source; a restart from an older state may move it back via the API.
  const setHead = (num: number, timeIso: string | undefined, authoritative: boolean) => {
    if (!authoritative && num <= lastHead) return;
    lastHead = num;
    headNum.set(num);
    if (timeIso !== undefined) headTimeMs = Date.parse(timeIso);
  };
  const setLib = (num: number | undefined, authoritative: boolean) => {
    if (num === undefined || (!authoritative && num <= lastLib)) return;
    lastLib = num;
    libNum.set(num);
  };
  return {
    head(head) {
      setHead(head.headBlockNum, head.headBlockTime, true);
      setLib(head.libNum, true);
    },
    block(block) {
      (block.kind === "produced" ? produced : received).inc({ producer: block.producer });
      setHead(block.num, block.time, false);
      setLib(block.lib, false);
    },
    dbSize(sample) {
      dbUsed.set(sample.usedBytes);
      dbFree.set(sample.freeBytes);
      dbSize.set(sample.size);
    },
    peers(count) {
      peers.set(count);
    },
  };
}
