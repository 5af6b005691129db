import type { Server } from "node:http";
import type { FcLogger } from "../fc-log.js";
import { API_PLUGINS } from "../plugins.js";
import { chainRoutes } from "./chain-routes.js";
import type { NodeContext } from "./context.js";
import { largeBodyRoute } from "./large-body-route.js";
import { dbSizeRoutes, netRoutes, supportedApisRoute } from "./misc-routes.js";
import { producerRoutes } from "./producer-routes.js";
import { transactionRoutes } from "./transaction-routes.js";
import { createApiServer, listen, parseHostPort, type Route } from "./server.js";

const SITE = { thread: "http-0", file: "http_plugin.cpp", line: 144, method: "create_beast_server" };

/** Starts the HTTP API on `address`, serving the routes of the loaded API plugins; logs the bound address. */
export async function startHttp(ctx: NodeContext, address: string, log: FcLogger): Promise<{ server: Server; port: number }> {
  const all: [string, Route][] = [
    ...chainRoutes(ctx),
    ...(ctx.spring ? transactionRoutes(ctx) : []),
    ...producerRoutes(ctx, (paused) =>
      log.log(
        "info",
        { file: "producer_plugin.cpp", line: 1500, method: paused ? "pause" : "resume" },
        paused ? "Producer paused." : "Producer resumed.",
      ),
    ),
    ...netRoutes(ctx),
    ...dbSizeRoutes(ctx),
  ];
  const enabled = all.filter(([path]) => {
    const needed = API_PLUGINS.find(([prefix]) => path.startsWith(prefix))?.[1];
    return needed === undefined || ctx.plugins.includes(needed);
  });
  const routes = new Map<string, Route>(enabled);
  if (ctx.largeBodyBytes > 0) routes.set(...largeBodyRoute(ctx.largeBodyBytes));
  routes.set(...supportedApisRoute(() => [...routes.keys()]));
  const { host, port } = parseHostPort(address);
  const server = createApiServer(routes);
  const bound = await listen(server, host, port);
  log.log("info", SITE, `start listening on ${bound.address}:${bound.port} resolved from ${address} for API categories: all`);
  return { server, port: bound.port };
}
