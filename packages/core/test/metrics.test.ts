import { Counter } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  BACKUP_OPERATIONS,
  BACKUP_RESULTS,
  createBackupMetrics,
  createMetricsRegistry,
  createRecoveryMetrics,
  DIRTY_STEPS,
  metricName,
  RESTORE_RESULTS,
} from "../src/index.js";

describe("metrics registry", () => {
  it("exposes default process metrics and ours under the manageos_ prefix, with default labels", async () => {
    const registry = createMetricsRegistry({ app: "eos" });
    const restarts = new Counter({
      name: metricName("restarts_total"),
      help: "Restarts of the node process",
      registers: [registry],
    });
    restarts.inc(2);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE manageos_restarts_total counter");
    expect(text).toContain('manageos_restarts_total{app="eos"} 2');
    expect(text).toMatch(/^manageos_process_cpu_seconds_total\{app="eos"\} [\d.e-]+$/m);
    expect(text).toMatch(/^manageos_process_resident_memory_bytes\{app="eos"\} \d+$/m);
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(name).toMatch(/^manageos_/);
    // Only counters end in _total (promtool check metrics refuses anything else).
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      if (name?.endsWith("_total")) expect(type, name).toBe("counter");
    }
    expect(text).toMatch(/^manageos_nodejs_active_handles\{type="[^"]+",app="eos"\} \d+$/m);
  });

  it("keeps registries apart", async () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    new Counter({ name: metricName("only_in_a_total"), help: "x", registers: [a] });
    expect(await a.metrics()).toContain("manageos_only_in_a_total");
    expect(await b.metrics()).not.toContain("manageos_only_in_a_total");
  });

  it("starts every label value of the backup and recovery counters at zero, so a first event is an increase", async () => {
    const registry = createMetricsRegistry({ app: "eos" });
    createBackupMetrics(registry);
    createRecoveryMetrics(registry);
    const text = await registry.metrics();
    const zero = (name: string, labels: string) =>
      expect(text, `${name}{${labels}}`).toMatch(new RegExp(`^${name}\\{${labels},app="eos"\\} 0$`, "m"));
    for (const result of BACKUP_RESULTS) zero("manageos_backup_runs_total", `result="${result}"`);
    for (const result of RESTORE_RESULTS) zero("manageos_backup_restores_total", `result="${result}"`);
    for (const operation of BACKUP_OPERATIONS)
      expect(text).toMatch(new RegExp(`^manageos_backup_duration_seconds_count\\{.*operation="${operation}".*\\} 0$`, "m"));
    for (const step of DIRTY_STEPS) zero("manageos_recoveries_total", `step="${step}",result="failure"`);
    zero("manageos_recoveries_total", `step="replay",result="success"`);
  });
});
