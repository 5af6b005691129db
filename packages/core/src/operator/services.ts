import type { JobContext } from "../jobs/job.js";

/** What the backups part offers the operator; absent when not configured. */
export interface BackupService {
  /** Backs up the node's data, stopping and restarting it as needed. */
  backup(context: JobContext, params: { tag?: string }): Promise<unknown>;
  /** Restores a named backup, or `latest`, and restarts the node. */
  restore(context: JobContext, params: { backup: string }): Promise<unknown>;
  /** Backups, newest first. */
  list(params: { limit: number; offset: number }): Promise<unknown>;
  /** A nodeos snapshot to storage without stopping the node. */
  snapshot?(context: JobContext): Promise<unknown>;
  /** Restores a stored snapshot and restarts the node from it. */
  snapshotRestore?(context: JobContext, params: { snapshot: string }): Promise<unknown>;
}

/** What block-producer mode offers the operator; absent when not in bp mode. */
export interface ProductionService {
  /** Waits for the end of our round (bounded), then pauses production. */
  safelyPause(context: JobContext): Promise<unknown>;
  /** Resumes production if no other node of ours produces or claimed production. */
  safelyResume(context: JobContext): Promise<unknown>;
  /** Waits until a restart would not interrupt our own round. */
  waitSafeToRestart(context: JobContext): Promise<void>;
  /** Production state for the status API. */
  status(): Record<string, unknown>;
}
