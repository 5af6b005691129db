import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The backup engine's Prometheus metrics. */
export interface BackupMetrics {
  /** Backups by result (`success`, `failure`). */
  readonly backups: Counter<"result">;
  readonly uploadedBytes: Counter;
  /** Duration of backups and restores, by operation. */
  readonly duration: Histogram<"operation">;
  readonly lastSuccess: Gauge;
  /** Restores by result (`success`, `fallback`, `failure`). */
  readonly restores: Counter<"result">;
  readonly gcRemovedChunks: Counter;
}

const made = new WeakMap<Registry, BackupMetrics>();

/** Declares the `manageos_backup_*` metrics on a registry (once per registry; later calls share them). */
export function createBackupMetrics(registry: Registry): BackupMetrics {
  const existing = made.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const metrics: BackupMetrics = {
    backups: new Counter({ name: "manageos_backup_runs_total", help: "Backups by result", labelNames: ["result"], registers }),
    uploadedBytes: new Counter({ name: "manageos_backup_uploaded_bytes_total", help: "Chunk bytes uploaded to the store", registers }),
    duration: new Histogram({
      name: "manageos_backup_duration_seconds",
      help: "Duration of backups and restores",
      labelNames: ["operation"],
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
      registers,
    }),
    lastSuccess: new Gauge({
      name: "manageos_backup_last_success_timestamp_seconds",
      help: "Unix time of the last successful backup",
      registers,
    }),
    restores: new Counter({ name: "manageos_backup_restores_total", help: "Restores by result", labelNames: ["result"], registers }),
    gcRemovedChunks: new Counter({ name: "manageos_backup_gc_removed_chunks_total", help: "Orphan chunks removed by gc", registers }),
  };
  made.set(registry, metrics);
  return metrics;
}

/** Dirty-node recovery metrics. */
export interface RecoveryMetrics {
  /** Recovery steps tried, by step (`restore-latest`, `replay`, `fail`) and result (`success`, `failure`). */
  readonly recoveries: Counter<"step" | "result">;
}

const recoveryMade = new WeakMap<Registry, RecoveryMetrics>();

/** Declares `manageos_recoveries_total` on a registry (once per registry). */
export function createRecoveryMetrics(registry: Registry): RecoveryMetrics {
  const existing = recoveryMade.get(registry);
  if (existing !== undefined) return existing;
  const metrics: RecoveryMetrics = {
    recoveries: new Counter({
      name: "manageos_recoveries_total",
      help: "Dirty-node recovery steps by step and result",
      labelNames: ["step", "result"],
      registers: [registry],
    }),
  };
  recoveryMade.set(registry, metrics);
  return metrics;
}
