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
  /** Lists (a dry run) or, with `apply`, removes the store's garbage: orphan chunks, partial uploads, left-over markers. */
  gc?(context: JobContext, params: { apply: boolean }): Promise<unknown>;
}

/** What block-producer mode offers the operator; absent when not in bp mode. */
export interface ProductionService {
  /** Waits for the end of our round (bounded), then pauses production. */
  safelyPause(context: JobContext): Promise<unknown>;
  /** Resumes production if no other node of ours produces or claimed production. */
  safelyResume(
    context: JobContext,
    options?: { releasedThrough?: number; skipUnreachablePeers?: boolean; log?: JobContext["log"] },
  ): Promise<unknown>;
  /** Before manageos stops the node: hands production to a ready peer, or pauses at the end of our round. */
  beforeShutdown?(): Promise<Record<string, unknown>>;
  /** Pauses production at once, without waiting for the end of our round. */
  pauseNow?(): Promise<void>;
  /** A peer's intent to resume (the handshake without etcd): granted, or refused with the reason. */
  considerIntent?(intent: { node: string; id: string; ttlMs: number }): { granted: true } | { granted: false; reason: string };
  /** A peer's intent is over. */
  releaseIntent?(id: string): void;
  /** Waits until a restart would not interrupt our own round. */
  waitSafeToRestart(context: JobContext): Promise<void>;
  /** Makes a restart safe under the reload policy (hand off, or pause at the end of our round); says whether to resume after. */
  prepareRestart?(context: JobContext): Promise<{ readonly resumeAfter: boolean }>;
  /** Resumes safely after a restart that paused us, retrying until ready within `timeoutMs`. */
  resumeAfterRestart?(context: JobContext, timeoutMs: number): Promise<unknown>;
  /** Production state for the status API. */
  status(): Record<string, unknown>;
  /** Moves production to the peer manageos at `to`: pause here at a round boundary, confirm, then resume there. */
  handoff?(context: JobContext, params: { to: string }): Promise<unknown>;
  /** The peers' published status (coordinator). */
  cluster?(): Promise<Record<string, unknown>>;
  /** Applies production settings a configuration reload changed. */
  reconfigure?(live: {
    claimWindow: number;
    pauseTimeout: number;
    takeover: boolean;
    reloadPolicy: "handoff" | "wait-round";
    peers: readonly string[];
    blocksigner?: string;
  }): void;
  /** Starts following the node and the coordinator once the API listens at `api`. */
  start?(info: { api: string }): Promise<void>;
  /** Stops timers and gives the producer lease up. */
  close?(): Promise<void>;
}
