import {
  type Chain,
  type Config,
  installCommandRoutes,
  type Logger,
  type Operator,
  type ProductionService,
  type Registry,
  type RouteInstaller,
} from "@manageos/core";
import { productionCommandRoutes } from "./command-routes.js";
import { createProduction } from "./create-production.js";
import { intentRoutes } from "./intent-routes.js";
import { createProductionMetrics } from "./metrics.js";

/** Block-producer mode of a nodeos daemon: its metrics (declared also without bp mode, so that dashboards see zero) and the service. */
export async function createNodeosProduction(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry; chain: Chain },
): Promise<ProductionService | undefined> {
  const metrics = createProductionMetrics(deps.registry);
  const production = await createProduction(config, deps);
  if (production !== undefined) metrics.readPausedFrom(() => production.status().paused === true);
  return production;
}

/** The operator API routes of nodeos' production: its commands, and the resume handshake between peers. */
export function productionRoutes(deps: { chain: Chain; operator: Operator; production: ProductionService | undefined }): RouteInstaller {
  return (app) => {
    installCommandRoutes(app, productionCommandRoutes(deps), { operator: deps.operator });
    intentRoutes(app, { production: deps.production });
  };
}
