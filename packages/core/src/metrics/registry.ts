import { collectDefaultMetrics, Registry } from "prom-client";

/** Every metric name starts with this. */
export const METRIC_PREFIX = "manageos_";

/** The Prometheus registry of one manageos process: default process metrics plus ours, all `manageos_`-prefixed. */
export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** `head_block_number` -> `manageos_head_block_number`. */
export function metricName(name: string): string {
  return name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
}

export type { Registry };
