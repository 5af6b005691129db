import { createMetricsRegistry } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { capturingLogger, stdout, syntheticChain } from "../../test/helpers.js";
import { MindreaderPlugin } from "../reader/plugin.js";
import { createMindreaderMetrics, type MindreaderMetricSources } from "./metrics.js";

describe("mindreader metrics", () => {
  it("exports head, drift, blocks and continuity errors under manageos_mindreader_*", async () => {
    const registry = createMetricsRegistry();
    const metrics = createMindreaderMetrics(registry);
    const chain = syntheticChain(2, 6, { startMs: Date.UTC(2024, 0, 1) });
    const now = Date.UTC(2024, 0, 1, 0, 1, 0);
    const plugin = new MindreaderPlugin(
      {},
      {
        sink: { write: async () => true },
        logger: capturingLogger().logger,
        metrics,
        now: () => now,
      },
    );
    // Block 4 missing: one gap.
    for (const text of chain.lines.filter((l) => !/ 4( |$)|"block":4/.test(l))) plugin.handle(stdout(text));
    const text = await registry.metrics();
    expect(text).toContain("manageos_mindreader_head_block_number 6");
    expect(text).toContain("manageos_mindreader_blocks_total 4");
    // Block 6 is at start + 2 s, read at start + 60 s.
    expect(text).toContain("manageos_mindreader_head_block_time_drift_seconds 58");
    expect(text).toContain('manageos_mindreader_continuity_errors_total{kind="gap"} 1');
    expect(text).toContain("manageos_mindreader_files_pending_upload");
    expect(text).toContain("manageos_mindreader_bytes_written_total");
  });

  it("computes the drift at scrape time when given the reader's drift, so a stalled node shows it growing", async () => {
    const registry = createMetricsRegistry();
    const sources: MindreaderMetricSources = {};
    const metrics = createMindreaderMetrics(registry, sources);
    let now = Date.UTC(2024, 0, 1, 0, 0, 10);
    const plugin = new MindreaderPlugin(
      {},
      { sink: { write: async () => true }, logger: capturingLogger().logger, metrics, now: () => now },
    );
    sources.driftSeconds = () => plugin.driftSeconds();
    for (const text of syntheticChain(2, 2, { startMs: Date.UTC(2024, 0, 1) }).lines) plugin.handle(stdout(text));
    expect(await registry.metrics()).toContain("manageos_mindreader_head_block_time_drift_seconds 10");
    now += 50_000;
    expect(await registry.metrics()).toContain("manageos_mindreader_head_block_time_drift_seconds 60");
  });
});
