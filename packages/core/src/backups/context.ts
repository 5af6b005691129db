import type { Logger } from "pino";
import type { Store } from "../storage/store.js";
import type { Compression } from "./layout.js";
import type { BackupMetrics } from "./metrics.js";

/** Options of the backup engine; `storage.*` and `backup.*` config map onto them. */
export interface BackupsOptions {
  /** Bytes per chunk (config `storage.chunkSize`), default 16 MiB. */
  readonly chunkSize?: number;
  /** Chunks transferred at once (config `storage.parallel`), default 4. */
  readonly parallel?: number;
  /** Chunk encoding for new uploads (config `storage.compress`), default none. */
  readonly compress?: Compression;
  /** Written into manifests; defaults to the manageos version. */
  readonly toolVersion?: string;
  /** Chunks younger than this are never collected (they may belong to a running backup), default 1 h. */
  readonly gcGraceMs?: number;
  /** A backup marker older than this is considered abandoned, default 24 h. */
  readonly staleBackupMs?: number;
  /** A gc marker older than this is considered abandoned, default 2 h. */
  readonly staleGcMs?: number;
  /** Defaults to os.hostname(). */
  readonly hostname?: string;
  /** The clock, injected by tests. */
  readonly now?: () => Date;
}

/** What the engine needs from its surroundings. */
export interface BackupsDeps {
  readonly store: Store;
  readonly logger?: Logger;
  readonly metrics?: BackupMetrics;
}

/** Options with defaults applied, plus deps: what every operation receives. */
export interface EngineContext {
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: BackupMetrics | undefined;
  readonly chunkSize: number;
  readonly parallel: number;
  readonly compress: Compression;
  readonly toolVersion: string;
  readonly gcGraceMs: number;
  readonly staleBackupMs: number;
  readonly staleGcMs: number;
  readonly hostname: string;
  readonly now: () => Date;
}

/** The engine options a validated config implies (`storage.chunkSize`, `parallel`, `compress`). */
export function backupsOptionsFromConfig(config: {
  readonly storage: { readonly chunkSize: number; readonly parallel: number; readonly compress: Compression };
}): BackupsOptions {
  return { chunkSize: config.storage.chunkSize, parallel: config.storage.parallel, compress: config.storage.compress };
}
