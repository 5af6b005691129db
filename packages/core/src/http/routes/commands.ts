import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { assertRestoreName, assertSnapshotRestoreName } from "../../backups/layout.js";
import type { JobRecord } from "../../jobs/job.js";
import { OperatorErrors } from "../../operator/errors.js";
import type { Operator } from "../../operator/operator.js";
import { answerJob, type CommandQuery, commandQuerySchema } from "../command-route.js";

/** How a command is submitted: from the operator, the validated query and whether to queue. */
export type CommandSubmit = (operator: Operator, query: Record<string, unknown>, options: { queue: boolean }) => JobRecord;

/** One mutating command: a path, its node-manager alias, extra query parameters, how to submit it. */
export interface CommandRoute {
  readonly path: string;
  readonly alias: string;
  readonly query?: Record<string, unknown>;
  readonly required?: string[];
  readonly submit: CommandSubmit;
}

const NAME = { type: "string", minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._-]+$" } as const;

/**
 * The mutating routes every node has: backups under `/v1/manageos/`, the node's own commands under `/v1/<node kind>/`
 * (node-manager's paths), each with its node-manager alias. Commands of one kind of node only (block production)
 * are installed by the part that owns them.
 */
export function commandRouteTable(nodeKind: string): readonly CommandRoute[] {
  const node = `/v1/${nodeKind}`;
  return [
    {
      path: "/v1/manageos/backup",
      alias: "/v1/backup",
      query: { tag: { type: "string", pattern: "^[a-z0-9-]{1,40}$" } },
      submit: (op, q, o) => {
        const backups = op.backups();
        return op.submit("backup", { tag: q.tag }, (ctx) => backups.backup(ctx, { tag: q.tag as string | undefined }), o);
      },
    },
    {
      path: "/v1/manageos/restore",
      alias: "/v1/restore",
      query: { backup: { ...NAME, default: "latest" } },
      submit: (op, q, o) => {
        const backups = op.backups();
        // A name that cannot be a backup's is refused here, with no job and the node untouched.
        const backup = assertRestoreName(q.backup as string);
        return op.submit("restore", { backup }, (ctx) => backups.restore(ctx, { backup }), o);
      },
    },
    {
      path: `${node}/snapshot`,
      alias: "/v1/snapshot",
      submit: (op, _q, o) => {
        const backups = op.backups();
        if (backups.snapshot === undefined) throw OperatorErrors.unavailable("nodeos snapshots");
        return op.submit("snapshot", {}, (ctx) => backups.snapshot?.(ctx) as Promise<unknown>, o);
      },
    },
    {
      path: `${node}/snapshot_restore`,
      alias: "/v1/snapshot_restore",
      query: { snapshot: { ...NAME, default: "latest" } },
      submit: (op, q, o) => {
        const backups = op.backups();
        if (backups.snapshotRestore === undefined) throw OperatorErrors.unavailable("nodeos snapshots");
        const snapshot = assertSnapshotRestoreName(q.snapshot as string);
        return op.submit("snapshot_restore", { snapshot }, (ctx) => backups.snapshotRestore?.(ctx, { snapshot }) as Promise<unknown>, o);
      },
    },
    {
      path: "/v1/manageos/gc",
      alias: "/v1/gc",
      // A dry run unless apply=true: the job's result lists what it would remove.
      query: { apply: { type: "boolean", default: false } },
      submit: (op, q, o) => {
        const backups = op.backups();
        if (backups.gc === undefined) throw OperatorErrors.unavailable("backup gc");
        const apply = q.apply === true;
        return op.submit("gc", { apply }, (ctx) => backups.gc?.(ctx, { apply }) as Promise<unknown>, o);
      },
    },
    { path: `${node}/maintenance`, alias: "/v1/maintenance", submit: (op, _q, o) => op.maintenance(o) },
    { path: `${node}/resume`, alias: "/v1/resume", submit: (op, _q, o) => op.resume(o) },
    { path: `${node}/reload`, alias: "/v1/reload", submit: (op, _q, o) => op.reload(false, o) },
    { path: `${node}/safely_reload`, alias: "/v1/safely_reload", submit: (op, _q, o) => op.reload(true, o) },
  ];
}

const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 20 },
    offset: { type: "integer", minimum: 0, default: 0 },
  },
} as const;

/** Installs mutating routes, each under its path and its alias. */
export function installCommandRoutes(app: FastifyInstance, routes: readonly CommandRoute[], deps: { operator: Operator }): void {
  const { operator } = deps;
  for (const route of routes) {
    const handler = async (request: FastifyRequest<{ Querystring: CommandQuery & Record<string, unknown> }>, reply: FastifyReply) => {
      const job = route.submit(operator, request.query, { queue: request.query.queue === true });
      return answerJob(operator, job, request, reply);
    };
    const schema = { querystring: commandQuerySchema(route.query, route.required) };
    app.post(route.path, { schema }, handler);
    app.post(route.alias, { schema }, handler);
  }
}

/** The mutating routes every node has, and the backup listing. */
export function commandRoutes(app: FastifyInstance, deps: { operator: Operator }): void {
  const { operator } = deps;
  installCommandRoutes(app, commandRouteTable(operator.chain.kind), deps);
  for (const path of ["/v1/manageos/backups", "/v1/list_backups"]) {
    app.get<{ Querystring: { limit: number; offset: number } }>(path, { schema: { querystring: listQuery } }, async (request) =>
      operator.backups().list({ limit: request.query.limit, offset: request.query.offset }),
    );
  }
}
