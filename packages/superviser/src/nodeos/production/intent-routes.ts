import type { FastifyInstance } from "fastify";
import { OperatorErrors, type ProductionService } from "@manageos/core";
import { ProductionErrors } from "./errors.js";

const intentQuery = {
  type: "object",
  additionalProperties: false,
  required: ["node", "id", "ttl_ms"],
  properties: {
    node: { type: "string", minLength: 1, maxLength: 253 },
    id: { type: "string", pattern: "^[0-9a-f-]{36}$" },
    ttl_ms: { type: "integer", minimum: 100, maximum: 60_000 },
  },
} as const;

const releaseQuery = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[0-9a-f-]{36}$" } },
} as const;

/** The resume handshake between the manageos of one producer name (without etcd): a peer's intent, and its end. */
export function intentRoutes(app: FastifyInstance, deps: { production: ProductionService | undefined }): void {
  const service = () => {
    const production = deps.production;
    if (production?.considerIntent === undefined || production.releaseIntent === undefined)
      throw OperatorErrors.notBpMode("production/intent");
    return production as Required<Pick<typeof production, "considerIntent" | "releaseIntent">>;
  };
  app.post<{ Querystring: { node: string; id: string; ttl_ms: number } }>(
    "/v1/manageos/production/intent",
    { schema: { querystring: intentQuery } },
    async (request) => {
      const { node, id, ttl_ms: ttlMs } = request.query;
      const answer = service().considerIntent({ node, id, ttlMs });
      if (!answer.granted) throw ProductionErrors.intentRefused(answer.reason);
      return { granted: true };
    },
  );
  app.post<{ Querystring: { id: string } }>(
    "/v1/manageos/production/intent/release",
    { schema: { querystring: releaseQuery } },
    async (request) => {
      service().releaseIntent(request.query.id);
      return { released: true };
    },
  );
}
