import { collectDefaultMetrics, Registry } from "prom-client";

/** Every metric name starts with this. */
export const METRIC_PREFIX = "manageos_";

/** The Prometheus registry of one manageos process: default process metrics plus ours, all `manageos_`-prefixed. */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  // prom-client names three gauges like counters (`_total`); the per-type gauges beside them carry the same numbers.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
  }
  return registry;
}

/** `head_block_number` -> `manageos_head_block_number`. */
export function metricName(name: string): string {
  return name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
}

export type { Registry };
