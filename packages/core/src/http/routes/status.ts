import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { Operator } from "../../operator/operator.js";
import type { ProductionService } from "../../operator/services.js";

/** Read-only routes: health, status, server id, metrics, cluster. */
export function statusRoutes(
  app: FastifyInstance,
  deps: { operator: Operator; registry: Registry; production?: ProductionService; serverId?: () => Promise<string> },
): void {
  const { operator, registry } = deps;
  for (const path of ["/healthz", "/v1/healthz"]) {
    app.get(path, async (_request, reply) => {
      const health = operator.health();
      return reply.code(health.ready ? 200 : 503).send(health);
    });
  }
  app.get("/v1/manageos/status", async () => operator.status());
  app.get("/v1/is_running", async () => {
    const status = operator.status();
    return { is_running: status.state === "running", ...status };
  });
  app.get("/v1/server_id", async () => ({ server_id: deps.serverId ? await deps.serverId() : hostname() }));
  app.get("/metrics", async (_request, reply) => {
    const text = await registry.metrics();
    return reply.header("content-type", registry.contentType).send(text);
  });
  app.get("/v1/manageos/cluster", async () => {
    const cluster = await deps.production?.cluster?.();
    return cluster ?? { coordinator: "local", peers: [{ hostname: hostname(), self: true, status: operator.status() }] };
  });
}
