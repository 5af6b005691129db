import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Chain } from "../chain/chain.js";
import { isBackupable } from "../chain/chain.js";
import type { Config } from "../config/schema.js";
import type { JobSubmitter } from "../jobs/submitter.js";
import type { NodeStatus } from "../operator/node-watch.js";
import type { ProductionService } from "../operator/services.js";
import type { ProxyGate } from "../proxy/gate.js";
import { openStore } from "../storage/open-store.js";
import { Backups } from "./backups.js";
import { finalizersOf } from "./finalizers.js";
import { backupsOptionsFromConfig } from "./context.js";
import { createBackupMetrics, createRecoveryMetrics } from "./metrics.js";
import { Recovery } from "./recovery.js";
import { cleanRestoreLeftovers } from "./restore-leftovers.js";
import { BackupSchedule } from "./schedule.js";
import { NodeBackupService } from "./service.js";

/** Tag of backups the schedule takes. */
export const SCHEDULED_TAG = "scheduled";

/** Boot, dirty recovery and the schedule, as the operator starts and stops them. */
export interface NodeRecoveryHooks {
  /** Starts the node the first time (restoring or recovering as needed), then the schedule. */
  boot(): Promise<void>;
  /** Stops the schedule and the dirty watch. */
  close(): void;
}

/** The backup service of a daemon, with its boot and recovery hooks. */
export type DaemonBackupService = NodeBackupService & { readonly recovery: NodeRecoveryHooks | undefined };

/** What the daemon hands over. */
export interface CreateBackupServiceDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly chain: Chain;
  readonly gate: ProxyGate;
  /** Where backups, recoveries and scheduled jobs are queued. */
  readonly jobs: JobSubmitter;
  /** Whether the node is in maintenance, ready, synced. */
  readonly node: NodeStatus;
  readonly production?: ProductionService;
}

/** Builds the store, engine, service, recovery and schedule from the validated config (`storage`, `backup`, `bp`). */
export function createBackupService(config: Readonly<Config>, deps: CreateBackupServiceDeps): DaemonBackupService {
  const store = openStore(config.storage.url, {
    retries: config.storage.retries,
    ...(config.storage.apiEndpoint === undefined ? {} : { apiEndpoint: config.storage.apiEndpoint }),
  });
  const metrics = createBackupMetrics(deps.registry);
  const backups = new Backups(backupsOptionsFromConfig(config), { store, logger: deps.logger, metrics });
  const { backup } = config;
  const service = new NodeBackupService(
    {
      tag: backup.tag,
      snapshotsKeepLast: backup.snapshotsKeepLast,
      bpMode: config.bp.enabled,
      ...(backup.chainId === undefined ? {} : { chainId: backup.chainId }),
      ...(backup.keepLast === undefined ? {} : { keepLast: backup.keepLast }),
      ...(backup.maxAge === undefined ? {} : { maxAge: backup.maxAge }),
    },
    { backups, store, chain: deps.chain, gate: deps.gate, node: deps.node, logger: deps.logger, ...optionalProduction(deps.production) },
  );
  const { chain } = deps;
  if (!isBackupable(chain)) return Object.assign(service, { recovery: undefined });
  const recovery = new Recovery(
    {
      bootstrap: backup.bootstrap,
      dirtyPolicy: backup.dirtyPolicy,
      ...(backup.chainId === undefined ? {} : { chainId: backup.chainId }),
      aliveTimeout: Math.max(60_000, config.node.blockInterval * 600),
    },
    {
      chain,
      service,
      store,
      gate: deps.gate,
      jobs: deps.jobs,
      node: deps.node,
      logger: deps.logger,
      metrics: createRecoveryMetrics(deps.registry),
    },
  );
  const schedule = new BackupSchedule(
    {
      tag: SCHEDULED_TAG,
      ...(backup.every === undefined ? {} : { every: backup.every }),
      ...(backup.everyBlocks === undefined ? {} : { everyBlocks: backup.everyBlocks }),
      ...(backup.snapshotEvery === undefined ? {} : { snapshotEvery: backup.snapshotEvery }),
      ...(backup.gcEvery > 0 ? { gcEvery: backup.gcEvery } : {}),
      ...(backup.chainId === undefined ? {} : { chainId: backup.chainId }),
    },
    { service, store, chain, jobs: deps.jobs, node: deps.node, logger: deps.logger, ...optionalProduction(deps.production) },
  );
  metrics.scheduled.set(backup.every !== undefined || backup.everyBlocks !== undefined ? 1 : 0);
  const hooks: NodeRecoveryHooks = {
    async boot() {
      // Before the node starts: a killed restore's staging dir can be as large as the data dir.
      await finalizersOf(chain)
        .then((finalizers) =>
          cleanRestoreLeftovers(chain.dataDir, deps.logger.child({ module: "backups" }), { keep: finalizers?.keep ?? [] }),
        )
        .catch((error: unknown) => deps.logger.warn({ err: error, module: "backups" }, "cannot clear what interrupted restores left"));
      schedule.start();
      await recovery.boot();
    },
    close() {
      schedule.close();
      recovery.close();
    },
  };
  return Object.assign(service, { recovery: hooks });
}

function optionalProduction(production: ProductionService | undefined): { production?: ProductionService } {
  return production === undefined ? {} : { production };
}
