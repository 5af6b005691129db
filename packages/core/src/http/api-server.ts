import { fastifySSE } from "@fastify/sse";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Operator } from "../operator/operator.js";
import type { ProductionService } from "../operator/services.js";
import { authorized, isMutating } from "./auth.js";
import { ApiErrors } from "./errors.js";
import { replyError } from "./reply-error.js";
import { commandRoutes } from "./routes/commands.js";
import { jobRoutes } from "./routes/jobs.js";
import { statusRoutes } from "./routes/status.js";

/** Routes a package adds to the operator API (the mindreader's block stream). */
export type RouteInstaller = (app: FastifyInstance) => void | Promise<void>;

/** Options of the operator API. */
export interface ApiServerOptions {
  /** Bearer token for mutating routes; none means open (only allowed on loopback). */
  readonly token?: string;
}

/** The operator API: status, health, metrics, jobs and every command of the runbook, with node-manager aliases. */
export async function createApiServer(
  opts: ApiServerOptions,
  deps: {
    operator: Operator;
    registry: Registry;
    logger: Logger;
    /** Block-producer mode, for the cluster view. */
    production?: ProductionService;
    routes?: RouteInstaller[];
    serverId?: () => Promise<string>;
  },
): Promise<FastifyInstance> {
  const logger = deps.logger.child({ module: "api" });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: true } },
  });
  await app.register(fastifySSE, { heartbeatInterval: 15_000 });
  app.setErrorHandler((error, request, reply) => replyError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(ApiErrors.notFound(request.method, request.url.split("?")[0] ?? "").toJSON()),
  );
  const token = opts.token;
  if (token !== undefined) {
    app.addHook("onRequest", async (request, reply) => {
      if (!isMutating(request.method) || authorized(request.headers.authorization, token)) return;
      return reply.code(401).header("www-authenticate", 'Bearer realm="manageos"').send(ApiErrors.unauthorized().toJSON());
    });
  }
  statusRoutes(app, deps);
  jobRoutes(app, deps);
  commandRoutes(app, deps);
  for (const install of deps.routes ?? []) await install(app);
  return app;
}
