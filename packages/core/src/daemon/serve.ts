import { join } from "node:path";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createBackupService } from "../backups/create-service.js";
import type { Chain } from "../chain/chain.js";
import type { LogPlugin } from "../chain/types.js";
import type { AppVariant } from "../cli/variant.js";
import { EXIT } from "../cli/variant.js";
import type { ConfigSources } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { type ConfigWatch, createConfigWatch } from "../config-watch/create-config-watch.js";
import { defineError } from "../errors/catalogue.js";
import { isManageosError } from "../errors/manageos-error.js";
import { atomicWriteJson, privateDir } from "../fs/atomic-write.js";
import { isLoopback } from "../http/auth.js";
import { createApiServer, type RouteInstaller } from "../http/api-server.js";
import { JobQueue } from "../jobs/queue.js";
import type { JobSubmitter } from "../jobs/submitter.js";
import { createMetricsRegistry } from "../metrics/registry.js";
import { OperatorErrors } from "../operator/errors.js";
import { createOperatorMetrics } from "../operator/metrics.js";
import { NodeWatch, type NodeStatus } from "../operator/node-watch.js";
import { Operator } from "../operator/operator.js";
import type { BackupService, ProductionService } from "../operator/services.js";
import { ProxyGate } from "../proxy/gate.js";
import { createProxyServer, type PublicProxy } from "../proxy/server.js";

/** What a variant plugs into the daemon: its chain, and optional parts. */
export interface DaemonParts {
  createChain(config: Readonly<Config>, deps: { logger: Logger; registry: Registry; plugins: LogPlugin[] }): Chain | Promise<Chain>;
  /** More readers of the node's lines (the mindreader), with what they add to the daemon. */
  plugins?(config: Readonly<Config>, deps: { logger: Logger; registry: Registry }): LogPlugin[];
  /**
   * The backups part; `createBackupService` (store from `storage`, recovery and schedule from `backup`) when absent.
   * A `recovery` on the result starts the node at boot in place of a plain start.
   */
  createBackups?(
    config: Readonly<Config>,
    deps: {
      logger: Logger;
      registry: Registry;
      chain: Chain;
      gate: ProxyGate;
      jobs: JobSubmitter;
      node: NodeStatus;
      production?: ProductionService;
    },
  ): (BackupService & { readonly recovery?: { boot(): Promise<void>; close?(): void } | undefined }) | undefined;
  /** Block-producer mode (the nodeos part's); none when absent or off. */
  createProduction?(
    config: Readonly<Config>,
    deps: { logger: Logger; registry: Registry; chain: Chain },
  ): ProductionService | undefined | Promise<ProductionService | undefined>;
  /** Operator API routes of the parts (nodeos' production commands, the mindreader's block stream). */
  routes?(
    config: Readonly<Config>,
    deps: { logger: Logger; registry: Registry; chain: Chain; operator: Operator; production: ProductionService | undefined },
  ): RouteInstaller[];
  /** Reasons the node is not ready beyond the operator's own (e.g. the mindreader's head too far behind); none when ready. */
  health?(): readonly string[];
}

/** Addresses the daemon listens on, written to `<stateDir>/endpoints.json` once bound. */
export interface Endpoints {
  readonly api: string;
  readonly proxy: string | null;
  readonly pid: number;
}

/** Errors of the daemon's start. */
export const DaemonErrors = {
  listen: defineError(
    "CORE_ERR_LISTEN",
    400,
    (setting: string, address: string, reason: string) => `cannot listen on ${address} (${setting}): ${reason}`,
  ),
};

/** Runs the daemon until SIGTERM/SIGINT; resolves with the exit code (non-zero when the node had to be killed). */
export async function serveDaemon(
  config: Readonly<Config>,
  deps: { logger: Logger; variant: AppVariant; sources?: ConfigSources },
  parts: DaemonParts,
): Promise<number> {
  const { logger } = deps;
  const [apiHost, apiPort] = splitHostPort(config.api.listen);
  if (!isLoopback(apiHost) && config.api.token === undefined) {
    logger.fatal(OperatorErrors.insecureBind(config.api.listen).message);
    return EXIT.config;
  }
  // State (jobs, endpoints, the ConfigMap copy with its token) is the owner's alone.
  for (const dir of [config.stateDir, ...(config.configWatch.configmap === undefined ? [] : [join(config.stateDir, "configmap")])]) {
    if (!(await privateDir(dir))) logger.warn({ dir }, "cannot make the state directory owner-only (0700): it belongs to another user");
  }
  const registry = createMetricsRegistry({ app: deps.variant.name });
  const gate = new ProxyGate();
  const queue = new JobQueue({ stateDir: config.stateDir }, { logger });
  const plugins = parts.plugins?.(config, { logger, registry }) ?? [];
  const chain = await parts.createChain(config, { logger, registry, plugins });
  const production = await parts.createProduction?.(config, { logger, registry, chain });
  const createBackups = parts.createBackups ?? createBackupService;
  const metrics = createOperatorMetrics(registry, gate);
  const watchOptions = { stateDir: config.stateDir, syncedMaxLag: config.proxy.syncedMaxLag, blockInterval: config.node.blockInterval };
  const node = new NodeWatch(watchOptions, { chain, gate, logger, metrics, health: () => parts.health?.() ?? [] });
  const backups = createBackups(config, {
    logger,
    registry,
    chain,
    gate,
    jobs: queue,
    node,
    ...(production === undefined ? {} : { production }),
  });
  const operator = new Operator(
    { app: deps.variant.name, ...watchOptions },
    { chain, queue, gate, logger, metrics, node, backups, production, recovery: backups?.recovery },
  );
  const api = await createApiServer(
    { token: config.api.token },
    {
      operator,
      registry,
      logger,
      ...(production === undefined ? {} : { production }),
      routes: parts.routes?.(config, { logger, registry, chain, operator, production }) ?? [],
    },
  );
  let proxy: PublicProxy | undefined;
  if (config.proxy.enabled) {
    proxy = await createProxyServer(
      {
        upstream: `http://${config.node.httpAddress}`,
        currentUpstream: () => chain.apiUrl?.(),
        deny: config.proxy.deny,
        retryAfterSeconds: Math.ceil(config.proxy.retryAfter / 1000),
        maxBodySize: config.proxy.maxBodySize,
        fastLane: config.proxy.fastLane,
      },
      { gate, logger },
    );
  }

  let apiUrl: string;
  let proxyUrl: string | null = null;
  try {
    apiUrl = await listenOn("api.listen", config.api.listen, () => api.listen({ host: apiHost, port: apiPort }));
    if (proxy !== undefined) {
      const [host, port] = splitHostPort(config.proxy.listen);
      proxyUrl = await listenOn("proxy.listen", config.proxy.listen, () => (proxy as PublicProxy).listen({ host, port }));
    }
    await atomicWriteJson(join(config.stateDir, "endpoints.json"), { api: apiUrl, proxy: proxyUrl, pid: process.pid } satisfies Endpoints);
    logger.info({ api: apiUrl, proxy: proxyUrl }, "manageos listening");
    // The signing fence listens here, on bp.signingListen.
    await listenOn("bp.signingListen", config.bp.signingListen, async () => production?.start?.({ api: apiUrl }));
  } catch (error) {
    if (!isManageosError(error) || error.code !== DaemonErrors.listen.code) throw error;
    logger.fatal({ code: error.code, ...error.details }, error.message);
    await Promise.allSettled([proxy?.close(), production?.close?.(), api.close()]);
    return EXIT.config;
  }
  let configWatch: ConfigWatch | undefined;
  try {
    configWatch = await createConfigWatch(config, {
      logger,
      chain,
      sources: deps.sources ?? {},
      safelyReload: () => operator.reload(true, { queue: true }),
      applyLive: (next) => production?.reconfigure?.(next.bp),
    });
  } catch (error) {
    logger.error({ err: error }, "cannot watch the configuration; changes need a restart");
  }

  const finished = waitForSignals(logger, chain, async () => {
    await configWatch?.close();
    // bp mode: a round of ours is never cut short by the stop (a second signal still stops at once).
    await production
      ?.beforeShutdown?.()
      .catch((error: unknown) => logger.error({ err: error }, "production could not be moved before the stop"));
    await proxy?.close();
    const { killed } = await operator.shutdown();
    await production?.close?.();
    await api.close();
    logger.info({ killed }, "manageos stopped");
    return killed ? EXIT.failure : EXIT.ok;
  });
  try {
    await operator.start();
  } catch (error) {
    // The API stays up so a person (or the restore policy) can act on a node that did not start.
    logger.error({ err: error, code: isManageosError(error) ? error.code : undefined }, "the node did not start");
  }
  return finished;
}

// What a person does about an address the daemon cannot listen on, by errno.
const LISTEN_PROBLEMS: Readonly<Record<string, (setting: string) => string>> = {
  EADDRINUSE: (setting) =>
    `the address is in use (another manageos, or another program, listens there); stop it or set ${setting} to a free address`,
  EACCES: (setting) => `permission denied (ports below 1024 need privileges); set ${setting} to a port above 1023`,
  EADDRNOTAVAIL: (setting) => `no interface of this machine has that address; set ${setting} to one of its addresses, or 0.0.0.0`,
};

// Runs one listen; an address that cannot be listened on becomes CORE_ERR_LISTEN naming the setting.
async function listenOn<T>(setting: string, address: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const problem = LISTEN_PROBLEMS[(error as NodeJS.ErrnoException).code ?? ""];
    if (problem === undefined) throw error;
    throw DaemonErrors.listen(setting, address, problem(setting), { cause: error, details: { setting, address } });
  }
}

// First SIGTERM/SIGINT: orderly shutdown. Second: kill the node's process group and exit now.
function waitForSignals(logger: Logger, chain: Chain, shutdown: () => Promise<number>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.error({ signal }, "second signal: killing the node and exiting now");
        const pid = chain.status().pid;
        if (pid !== undefined) {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        process.exit(EXIT.failure);
      }
      stopping = true;
      logger.info({ signal }, "shutting down");
      shutdown().then(
        (code) => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          resolve(code);
        },
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          resolve(EXIT.failure);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `127.0.0.1:8080` -> [`127.0.0.1`, 8080]; `[::1]:8080` -> [`::1`, 8080]. */
export function splitHostPort(listen: string): [string, number] {
  const at = listen.lastIndexOf(":");
  return [listen.slice(0, at).replace(/^\[|\]$/g, ""), Number(listen.slice(at + 1))];
}
