import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { metricName } from "@manageos/core";

/** The `reason` label of `manageos_bp_guard_trips_total`. */
export const GUARD_REASONS = [
  "lease-lost",
  "produced-without-lease",
  "produced-elsewhere",
  "peer-producing",
  "resume-refused",
  "start-refused",
] as const;

/** Why the double-production guard acted. */
export type GuardReason = (typeof GUARD_REASONS)[number];

/** The `result` label of `manageos_bp_sign_requests_total`: what the signing fence did with a signature nodeos asked for. */
export const SIGN_RESULTS = ["signed", "refused", "failed"] as const;

/** What the signing fence did with a signature nodeos asked for. */
export type SignResult = (typeof SIGN_RESULTS)[number];

/** Block-producer mode's metrics. */
export interface ProductionMetrics {
  /** Times the guard paused this node or refused to resume production. */
  readonly guardTrips: Counter<"reason">;
  /** 1 while nodeos says production is paused here, read at scrape time from what `readPausedFrom` gave. */
  readonly productionPaused: Gauge;
  /** Where `productionPaused` reads whether production is paused: the production service, once it exists. */
  readPausedFrom(paused: () => boolean): void;
  /** Signatures nodeos asked the signing fence for, by what the fence did. */
  readonly signRequests: Counter<"result">;
  /** Time from nodeos' request to the fence's answer, signed ones only. */
  readonly signSeconds: Histogram;
  /** This node's finalizer keys that another node of ours also holds. */
  readonly finalizerKeyConflicts: Gauge;
  /** 1 while this node's finalizer key is the producer's active one on chain. */
  readonly finalizerKeyActive: Gauge;
  /** Votes of this node's finalizer that nodeos says did not make it into a block's QC. */
  readonly missedVotes: Counter;
}

const pausedReaders = new WeakMap<Registry, () => boolean>();

/** Declares block-producer mode's metrics on a registry (once per registry). */
export function createProductionMetrics(registry: Registry): ProductionMetrics {
  const once = <M>(suffix: string, make: (name: string) => M): M => {
    const name = metricName(suffix);
    return (registry.getSingleMetric(name) as M | undefined) ?? make(name);
  };
  const metrics: ProductionMetrics = {
    guardTrips: once(
      "bp_guard_trips_total",
      (name) =>
        new Counter({
          name,
          help: "Times the double-production guard paused this node or refused to resume production, by reason",
          labelNames: ["reason"],
          registers: [registry],
        }),
    ),
    productionPaused: once(
      "bp_production_paused",
      (name) =>
        new Gauge({
          name,
          help: "1 while nodeos says block production is paused here; 0 while it produces, before it has said, and without bp mode",
          registers: [registry],
          collect() {
            this.set(pausedReaders.get(registry)?.() === true ? 1 : 0);
          },
        }),
    ),
    readPausedFrom: (paused) => void pausedReaders.set(registry, paused),
    signRequests: once(
      "bp_sign_requests_total",
      (name) =>
        new Counter({
          name,
          help: "Block signatures nodeos asked the signing fence for, by result: signed, refused (production not meant here or no live lease), failed (the blocksigner did not sign)",
          labelNames: ["result"],
          registers: [registry],
        }),
    ),
    finalizerKeyConflicts: once(
      "bp_finalizer_key_conflicts",
      (name) =>
        new Gauge({
          name,
          help: "Finalizer keys of this node that another node of ours also holds (published over etcd or answered by bp.peers); each must be unique to one nodeos",
          registers: [registry],
        }),
    ),
    finalizerKeyActive: once(
      "bp_finalizer_key_active",
      (name) =>
        new Gauge({
          name,
          help: "1 while this node's finalizer key is the producer's active one on chain (Spring; read every schedule refresh); 0 otherwise",
          registers: [registry],
        }),
    ),
    missedVotes: once(
      "bp_finalizer_missed_votes_total",
      (name) =>
        new Counter({
          name,
          help: "Votes of this node's finalizer that nodeos says did not make it into a block's QC (Spring: Local finalizer ... did not vote)",
          registers: [registry],
        }),
    ),
    signSeconds: once(
      "bp_sign_duration_seconds",
      (name) =>
        new Histogram({
          name,
          help: "Time the signing fence took to answer a signature it gave, seconds",
          buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
          registers: [registry],
        }),
    ),
  };
  // Every reason starts at zero: a series born at 1 has no increase() to alert on.
  for (const reason of GUARD_REASONS) metrics.guardTrips.inc({ reason }, 0);
  for (const result of SIGN_RESULTS) metrics.signRequests.inc({ result }, 0);
  return metrics;
}
