import type { Registry } from "prom-client";

/** Drops a metric of that name so the caller can register a fresh one bound to new state. */
export function freeName(registry: Registry, name: string): string {
  if (registry.getSingleMetric(name) !== undefined) registry.removeSingleMetric(name);
  return name;
}
