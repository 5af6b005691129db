import { Counter, Gauge, type Registry } from "prom-client";
import { metricName } from "../metrics/registry.js";

/** The `reason` label of `manageos_bp_guard_trips_total`. */
export const GUARD_REASONS = ["lease-lost", "produced-without-lease", "resume-refused", "start-refused"] as const;

/** Why the double-production guard acted. */
export type GuardReason = (typeof GUARD_REASONS)[number];

/** Block-producer mode's metrics. */
export interface ProductionMetrics {
  /** Times the guard paused this node or refused to resume production. */
  readonly guardTrips: Counter<"reason">;
  /** 1 while nodeos says production is paused here, read at scrape time from what `readPausedFrom` gave. */
  readonly productionPaused: Gauge;
  /** Where `productionPaused` reads whether production is paused: the production service, once it exists. */
  readPausedFrom(paused: () => boolean): void;
}

const pausedReaders = new WeakMap<Registry, () => boolean>();

/** Declares block-producer mode's metrics on a registry (once per registry). */
export function createProductionMetrics(registry: Registry): ProductionMetrics {
  const name = metricName("bp_guard_trips_total");
  const existing = registry.getSingleMetric(name) as Counter<"reason"> | undefined;
  const guardTrips =
    existing ??
    new Counter({
      name,
      help: "Times the double-production guard paused this node or refused to resume production, by reason",
      labelNames: ["reason"],
      registers: [registry],
    });
  // Every reason starts at zero: a series born at 1 has no increase() to alert on.
  for (const reason of GUARD_REASONS) guardTrips.inc({ reason }, 0);
  const pausedName = metricName("bp_production_paused");
  const productionPaused =
    (registry.getSingleMetric(pausedName) as Gauge | undefined) ??
    new Gauge({
      name: pausedName,
      help: "1 while nodeos says block production is paused here; 0 while it produces, before it has said, and without bp mode",
      registers: [registry],
      collect() {
        this.set(pausedReaders.get(registry)?.() === true ? 1 : 0);
      },
    });
  return { guardTrips, productionPaused, readPausedFrom: (paused) => void pausedReaders.set(registry, paused) };
}
