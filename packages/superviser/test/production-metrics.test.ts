import { createMetricsRegistry } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { createProductionMetrics, GUARD_REASONS } from "../src/index.js";

describe("production metrics", () => {
  it("starts every label value of the guard counter at zero, so a first event is an increase", async () => {
    const registry = createMetricsRegistry({ app: "eos" });
    createProductionMetrics(registry);
    const text = await registry.metrics();
    const zero = (name: string, labels: string) =>
      expect(text, `${name}{${labels}}`).toMatch(new RegExp(`^${name}\\{${labels},app="eos"\\} 0$`, "m"));
    for (const reason of GUARD_REASONS) zero("manageos_bp_guard_trips_total", `reason="${reason}"`);
  });

  it("reads whether production is paused at each scrape, 0 until told where from", async () => {
    const registry = createMetricsRegistry();
    const metrics = createProductionMetrics(registry);
    expect(await registry.metrics()).toMatch(/^manageos_bp_production_paused 0$/m);
    let paused = true;
    // A second call (the daemon declares them in every variant) shares the metrics.
    createProductionMetrics(registry).readPausedFrom(() => paused);
    expect(metrics.productionPaused).toBe(createProductionMetrics(registry).productionPaused);
    expect(await registry.metrics()).toMatch(/^manageos_bp_production_paused 1$/m);
    paused = false;
    expect(await registry.metrics()).toMatch(/^manageos_bp_production_paused 0$/m);
  });
});
