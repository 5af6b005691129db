import { Counter, type Registry } from "prom-client";
import { metricName } from "../metrics/registry.js";

/** Why the double-production guard acted. */
export type GuardReason = "lease-lost" | "produced-without-lease" | "resume-refused" | "start-refused";

/** Block-producer mode's metrics. */
export interface ProductionMetrics {
  /** Times the guard paused this node or refused to resume production. */
  readonly guardTrips: Counter<"reason">;
}

/** Declares block-producer mode's metrics on a registry (once per registry). */
export function createProductionMetrics(registry: Registry): ProductionMetrics {
  const name = metricName("bp_guard_trips_total");
  const existing = registry.getSingleMetric(name) as Counter<"reason"> | undefined;
  return {
    guardTrips:
      existing ??
      new Counter({
        name,
        help: "Times the double-production guard paused this node or refused to resume production, by reason",
        labelNames: ["reason"],
        registers: [registry],
      }),
  };
}
