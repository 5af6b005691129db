import type { Registry } from "@manageos/core";
import { Counter, Gauge } from "prom-client";
import { UPLOAD_RESULTS } from "../files/uploader.js";
import { DROP_REASONS } from "../reader/assembler.js";
import { CONTINUITY_KINDS } from "../reader/continuity.js";

/** The mindreader's Prometheus metrics, all `manageos_mindreader_*`. */
export interface MindreaderMetrics {
  readonly headBlockNumber: Gauge;
  readonly headBlockTimeDriftSeconds: Gauge;
  readonly libBlockNumber: Gauge;
  readonly blocksTotal: Counter;
  readonly bytesWrittenTotal: Counter;
  readonly pendingWriteBytes: Gauge;
  readonly filesPendingUpload: Gauge;
  readonly backlogFull: Gauge;
  readonly uploadsTotal: Counter<"result">;
  readonly continuityErrorsTotal: Counter<"kind">;
  readonly droppedBlocksTotal: Counter<"reason">;
  readonly writeErrorsTotal: Counter;
  readonly bundlesTotal: Counter;
  readonly catchingUp: Gauge;
  readonly readWaitSecondsTotal: Counter;
  readonly blockErrorsTotal: Counter;
}

/** Live values read when the registry is scraped. */
export interface MindreaderMetricSources {
  /** Seconds between now and the head block's time (the reader's `driftSeconds`); may be set after creation. */
  driftSeconds?: () => number | undefined;
}

/**
 * Declares the mindreader's metrics on a registry (core's `createMetricsRegistry`). With `sources.driftSeconds` the
 * drift is computed at each scrape, so a stalled node shows a growing drift instead of the last value read.
 */
export function createMindreaderMetrics(registry: Registry, sources: MindreaderMetricSources = {}): MindreaderMetrics {
  const registers = [registry];
  const metrics: MindreaderMetrics = {
    headBlockNumber: new Gauge({
      name: "manageos_mindreader_head_block_number",
      help: "Number of the last block read from deep-mind",
      registers,
    }),
    headBlockTimeDriftSeconds: new Gauge({
      name: "manageos_mindreader_head_block_time_drift_seconds",
      help: "Seconds between now and the last block's timestamp (at scrape time when the daemon runs the reader)",
      registers,
      collect() {
        const drift = sources.driftSeconds?.();
        if (drift !== undefined) this.set(drift);
      },
    }),
    libBlockNumber: new Gauge({
      name: "manageos_mindreader_lib_block_number",
      help: "Last irreversible block number as of the last block read",
      registers,
    }),
    blocksTotal: new Counter({
      name: "manageos_mindreader_blocks_total",
      help: "Blocks read from deep-mind (rate gives blocks per second)",
      registers,
    }),
    bytesWrittenTotal: new Counter({
      name: "manageos_mindreader_bytes_written_total",
      help: "Compressed bytes of one-block files and bundles written to the local work dir",
      registers,
    }),
    pendingWriteBytes: new Gauge({
      name: "manageos_mindreader_pending_write_bytes",
      help: "Block text read and not yet written to the local work dir by the writer threads (reading waits past maxPendingWriteBytes)",
      registers,
    }),
    filesPendingUpload: new Gauge({
      name: "manageos_mindreader_files_pending_upload",
      help: "Block files and bundles written locally and not yet in the block store",
      registers,
    }),
    backlogFull: new Gauge({
      name: "manageos_mindreader_backlog_full",
      help: "1 while the upload backlog is at or above maxPendingFiles",
      registers,
    }),
    uploadsTotal: new Counter({
      name: "manageos_mindreader_uploads_total",
      help: "Upload attempts to the block store by result",
      labelNames: ["result"] as const,
      registers,
    }),
    continuityErrorsTotal: new Counter({
      name: "manageos_mindreader_continuity_errors_total",
      help: "Blocks that did not link to the block before them (gap or wrong previous id)",
      labelNames: ["kind"] as const,
      registers,
    }),
    droppedBlocksTotal: new Counter({
      name: "manageos_mindreader_dropped_blocks_total",
      help: "Blocks being assembled that were thrown away (fork switch, restart, truncated or incomplete line)",
      labelNames: ["reason"] as const,
      registers,
    }),
    writeErrorsTotal: new Counter({
      name: "manageos_mindreader_write_errors_total",
      help: "Block files or bundles that could not be written to the local work dir",
      registers,
    }),
    bundlesTotal: new Counter({
      name: "manageos_mindreader_bundles_total",
      help: "100-block bundles written",
      registers,
    }),
    catchingUp: new Gauge({
      name: "manageos_mindreader_catching_up",
      help: "1 from start until the first block younger than mindreader.catchUpBlockAge: blocks go straight into bundles",
      registers,
    }),
    readWaitSecondsTotal: new Counter({
      name: "manageos_mindreader_read_wait_seconds_total",
      help: "Seconds reading nodeos' output waited for the writer (decoding, compression, the work dir) past maxPendingWriteBytes",
      registers,
    }),
    blockErrorsTotal: new Counter({
      name: "manageos_mindreader_block_errors_total",
      help: "Blocks that could not be decoded whole (a hex payload cut or not hex, a structure that does not decode): never written",
      registers,
    }),
  };
  // Every label set starts at zero: a series born at 1 has no increase() to alert on.
  for (const result of UPLOAD_RESULTS) metrics.uploadsTotal.inc({ result }, 0);
  for (const kind of CONTINUITY_KINDS) metrics.continuityErrorsTotal.inc({ kind }, 0);
  for (const reason of DROP_REASONS) metrics.droppedBlocksTotal.inc({ reason }, 0);
  return metrics;
}
