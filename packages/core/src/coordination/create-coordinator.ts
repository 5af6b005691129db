import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { Coordinator } from "./coordinator.js";
import { LocalCoordinator } from "./local-coordinator.js";

/** This node's id in the cluster: `hostname` from config, else the machine's. */
export function nodeIdOf(config: Readonly<Config>): string {
  return config.hostname ?? hostname();
}

/** The coordinator the config asks for; etcd is loaded only when used. */
export async function createCoordinator(config: Readonly<Config>, deps: { logger: Logger }): Promise<Coordinator> {
  const nodeId = nodeIdOf(config);
  if (config.coordinator.kind === "local") return new LocalCoordinator({ nodeId });
  const { EtcdCoordinator } = await import("./etcd-coordinator.js");
  return new EtcdCoordinator(
    { nodeId, endpoints: config.coordinator.endpoints, prefix: config.coordinator.prefix, leaseTtl: config.coordinator.leaseTtl },
    { logger: deps.logger },
  );
}
