import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { DIRTY_STEPS } from "./dirty-steps.js";

/** The `result` label of `manageos_backup_runs_total`. */
export const BACKUP_RESULTS = ["success", "failure"] as const;
/** The `result` label of `manageos_backup_restores_total`. */
export const RESTORE_RESULTS = ["success", "fallback", "failure"] as const;
/** The `operation` label of `manageos_backup_duration_seconds`. */
export const BACKUP_OPERATIONS = ["backup", "restore"] as const;
/** The `result` label of `manageos_recoveries_total`. */
export const RECOVERY_RESULTS = ["success", "failure"] as const;

/** The backup engine's Prometheus metrics. */
export interface BackupMetrics {
  /** Backups by result (`BACKUP_RESULTS`). */
  readonly backups: Counter<"result">;
  readonly uploadedBytes: Counter;
  /** Duration of backups and restores, by operation. */
  readonly duration: Histogram<"operation">;
  /** Unix time of the last successful backup since start; 0 before the first. */
  readonly lastSuccess: Gauge;
  /** 1 when `backup.every` or `backup.everyBlocks` schedules backups. */
  readonly scheduled: Gauge;
  /** Restores by result (`RESTORE_RESULTS`). */
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
      help: "Unix time of the last successful backup since manageos started; 0 before the first",
      registers,
    }),
    scheduled: new Gauge({
      name: "manageos_backup_scheduled",
      help: "1 when backup.every or backup.everyBlocks schedules backups",
      registers,
    }),
    restores: new Counter({ name: "manageos_backup_restores_total", help: "Restores by result", labelNames: ["result"], registers }),
    gcRemovedChunks: new Counter({ name: "manageos_backup_gc_removed_chunks_total", help: "Orphan chunks removed by gc", registers }),
  };
  // Every label set starts at zero: a series born at 1 has no increase() to alert on.
  for (const result of BACKUP_RESULTS) metrics.backups.inc({ result }, 0);
  for (const result of RESTORE_RESULTS) metrics.restores.inc({ result }, 0);
  for (const operation of BACKUP_OPERATIONS) metrics.duration.zero({ operation });
  made.set(registry, metrics);
  return metrics;
}

/** Dirty-node recovery metrics. */
export interface RecoveryMetrics {
  /** Recovery steps tried, by step (`DIRTY_STEPS`) and result (`RECOVERY_RESULTS`). */
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
  for (const step of DIRTY_STEPS) {
    // The `fail` step only ever fails.
    for (const result of step === "fail" ? (["failure"] as const) : RECOVERY_RESULTS) metrics.recoveries.inc({ step, result }, 0);
  }
  recoveryMade.set(registry, metrics);
  return metrics;
}
