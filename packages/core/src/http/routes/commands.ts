import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { assertRestoreName, assertSnapshotRestoreName } from "../../backups/layout.js";
import type { JobRecord } from "../../jobs/job.js";
import { OperatorErrors } from "../../operator/errors.js";
import type { Operator } from "../../operator/operator.js";
import { answerJob, type CommandQuery, commandQuerySchema } from "../command-route.js";

type Submit = (operator: Operator, query: Record<string, unknown>, options: { queue: boolean }) => JobRecord;

/** One mutating command: a path, its node-manager alias, extra query parameters, how to submit it. */
interface CommandRoute {
  readonly path: string;
  readonly alias: string;
  readonly query?: Record<string, unknown>;
  readonly required?: string[];
  readonly submit: Submit;
}

const NAME = { type: "string", minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._-]+$" } as const;

/** Every mutating route of the API with its alias. */
export const COMMAND_ROUTES: readonly CommandRoute[] = [
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
    path: "/v1/nodeos/snapshot",
    alias: "/v1/snapshot",
    submit: (op, _q, o) => {
      const backups = op.backups();
      if (backups.snapshot === undefined) throw OperatorErrors.unavailable("nodeos snapshots");
      return op.submit("snapshot", {}, (ctx) => backups.snapshot?.(ctx) as Promise<unknown>, o);
    },
  },
  {
    path: "/v1/nodeos/snapshot_restore",
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
  { path: "/v1/nodeos/maintenance", alias: "/v1/maintenance", submit: (op, _q, o) => op.maintenance(o) },
  { path: "/v1/nodeos/resume", alias: "/v1/resume", submit: (op, _q, o) => op.resume(o) },
  { path: "/v1/nodeos/reload", alias: "/v1/reload", submit: (op, _q, o) => op.reload(false, o) },
  { path: "/v1/nodeos/safely_reload", alias: "/v1/safely_reload", submit: (op, _q, o) => op.reload(true, o) },
  { path: "/v1/nodeos/pause_production", alias: "/v1/pause_production", submit: (op, _q, o) => op.setProduction(true, o) },
  { path: "/v1/nodeos/resume_production", alias: "/v1/resume_production", submit: (op, _q, o) => op.setProduction(false, o) },
  {
    path: "/v1/nodeos/safely_pause_production",
    alias: "/v1/safely_pause_production",
    submit: (op, _q, o) => op.safely("pause", o),
  },
  {
    path: "/v1/nodeos/safely_resume_production",
    alias: "/v1/safely_resume_production",
    // A handoff names the last block the paused node produced, so its blocks do not count against the claim window.
    // skip_unreachable_peers: a person's override of the fail-closed rule for peers that do not answer.
    query: { released_through: { type: "integer", minimum: 0 }, skip_unreachable_peers: { type: "boolean" } },
    submit: (op, q, o) => {
      const releasedThrough = q.released_through as number | undefined;
      const skipUnreachablePeers = q.skip_unreachable_peers === true;
      if (releasedThrough === undefined && !skipUnreachablePeers) return op.safely("resume", o);
      const production = op.production;
      if (production === undefined) throw OperatorErrors.notBpMode("safely_resume_production");
      const params = { ...(releasedThrough === undefined ? {} : { releasedThrough }), ...(skipUnreachablePeers ? { skipUnreachablePeers } : {}) };
      return op.submit("safely_resume_production", params, (ctx) => production.safelyResume(ctx, { ...params, log: ctx.log }), o);
    },
  },
  {
    path: "/v1/nodeos/handoff",
    alias: "/v1/handoff",
    query: { to: { type: "string", pattern: "^https?://[^\\s]+$" } },
    required: ["to"],
    submit: (op, q, o) => {
      const production = op.production;
      if (production?.handoff === undefined) throw OperatorErrors.notBpMode("handoff");
      const to = q.to as string;
      return op.submit("handoff", { to }, (ctx) => production.handoff?.(ctx, { to }) as Promise<unknown>, o);
    },
  },
];

const listQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    limit: { type: "integer", minimum: 1, maximum: 1000, default: 20 },
    offset: { type: "integer", minimum: 0, default: 0 },
  },
} as const;

/** The mutating routes and the backup listing. */
export function commandRoutes(app: FastifyInstance, deps: { operator: Operator }): void {
  const { operator } = deps;
  for (const route of COMMAND_ROUTES) {
    const handler = async (request: FastifyRequest<{ Querystring: CommandQuery & Record<string, unknown> }>, reply: FastifyReply) => {
      const job = route.submit(operator, request.query, { queue: request.query.queue === true });
      return answerJob(operator, job, request, reply);
    };
    const schema = { querystring: commandQuerySchema(route.query, route.required) };
    app.post(route.path, { schema }, handler);
    app.post(route.alias, { schema }, handler);
  }
  for (const path of ["/v1/manageos/backups", "/v1/list_backups"]) {
    app.get<{ Querystring: { limit: number; offset: number } }>(path, { schema: { querystring: listQuery } }, async (request) =>
      operator.backups().list({ limit: request.query.limit, offset: request.query.offset }),
    );
  }
}
