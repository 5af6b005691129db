import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type Chain, type Config, type Coordinator, createCoordinator, isProducer } from "@manageos/core";
import { ProductionErrors } from "./errors.js";
import { createProductionMetrics } from "./metrics.js";
import { Production } from "./production-service.js";
import { fetchActiveSchedule, nodeApiUrl } from "./schedule.js";

/** Block-producer mode for a chain that can pause and resume production; undefined when bp mode is off. */
export async function createProduction(
  config: Readonly<Config>,
  deps: { logger: Logger; chain: Chain; coordinator?: Coordinator; registry?: Registry },
): Promise<Production | undefined> {
  if (!config.bp.enabled || !isProducer(deps.chain)) return undefined;
  const producerName = config.bp.producerName;
  if (producerName === undefined) throw ProductionErrors.noSchedule();
  const apiUrl = nodeApiUrl(deps.chain, config.node.httpAddress);
  return new Production(
    {
      producerName,
      blockInterval: config.node.blockInterval,
      roundLength: config.node.roundLength,
      claimWindow: config.bp.claimWindow,
      pauseTimeout: config.bp.pauseTimeout,
      peerToken: config.api.token,
      publishInterval: Math.max(250, Math.min(2_000, config.coordinator.leaseTtl / 4)),
      takeover: config.bp.takeover,
      reloadPolicy: config.bp.reloadPolicy,
      peers: config.bp.peers,
      signing: { listen: config.bp.signingListen, blocksigner: config.bp.blocksigner, timeoutMs: config.bp.signingTimeout },
      finality: {
        permission: config.bp.finalityPermission,
        ...(config.bp.finalityKeyFile === undefined ? {} : { keyFile: config.bp.finalityKeyFile }),
      },
    },
    {
      chain: deps.chain,
      coordinator: deps.coordinator ?? (await createCoordinator(config, deps)),
      logger: deps.logger,
      readSchedule: () => fetchActiveSchedule(apiUrl(), 5_000),
      nodeUrl: apiUrl,
      ...(deps.registry === undefined ? {} : { metrics: createProductionMetrics(deps.registry) }),
    },
  );
}
