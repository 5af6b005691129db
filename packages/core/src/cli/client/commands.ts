import type { Command } from "commander";
import { errorJson, isManageosError } from "../../errors/manageos-error.js";
import type { JobRecord } from "../../jobs/job.js";
import type { CommandInstaller } from "../program.js";
import { EXIT } from "../variant.js";
import { ApiClient, ClientErrors } from "./api-client.js";
import { progressReporter } from "./progress.js";

/** A mutating command of the CLI and the route it posts to. */
interface JobCommand {
  readonly name: string;
  readonly description: string;
  readonly path: string;
  readonly argument?: { name: string; query: string; description: string };
  readonly tag?: boolean;
  /** Takes `--to <url>` (a peer manageos) and prints the job's result. */
  readonly peer?: boolean;
  /** Takes `--released-through <block>`. */
  readonly released?: boolean;
  /** Takes `--apply` (gc: without it, a dry run). */
  readonly apply?: boolean;
  /** Prints the job's result this way, unless `--json`. */
  readonly result?: (result: unknown) => string;
}

const JOB_COMMANDS: readonly JobCommand[] = [
  { name: "maintenance", description: "close the proxy, stop the node and keep it stopped", path: "/v1/maintenance" },
  { name: "resume", description: "start the node; the proxy reopens once it is synced", path: "/v1/resume" },
  { name: "reload", description: "regenerate the node's configuration and restart it", path: "/v1/reload" },
  { name: "safely-reload", description: "reload, waiting out our production round", path: "/v1/safely_reload" },
  { name: "pause-production", description: "wait for the end of our round, then pause production", path: "/v1/safely_pause_production" },
  {
    name: "resume-production",
    description: "resume production if no other node of ours produces",
    path: "/v1/safely_resume_production",
    released: true,
  },
  {
    name: "handoff",
    description: "move production to the peer manageos at --to: pause here at a round boundary, then resume there",
    path: "/v1/handoff",
    peer: true,
  },
  { name: "backup", description: "back the node's data up to storage", path: "/v1/manageos/backup", tag: true },
  {
    name: "restore",
    description: "restore a backup (default: latest) and restart the node",
    path: "/v1/manageos/restore",
    argument: { name: "[backup]", query: "backup", description: "backup name, or latest" },
  },
  { name: "snapshot", description: "take a nodeos snapshot to storage without stopping", path: "/v1/snapshot" },
  {
    name: "gc",
    description: "list the store's garbage (orphan chunks of interrupted backups, partial uploads, left-over markers); --apply removes it",
    path: "/v1/manageos/gc",
    apply: true,
    result: formatGc,
  },
  {
    name: "snapshot-restore",
    description: "restore a stored snapshot (default: latest) and restart from it",
    path: "/v1/snapshot_restore",
    argument: { name: "[snapshot]", query: "snapshot", description: "snapshot name, or latest" },
  },
];

interface ClientFlags {
  api?: string;
  token?: string;
  json?: boolean;
  wait?: boolean;
  queue?: boolean;
  tag?: string;
  to?: string;
  releasedThrough?: string;
  apply?: boolean;
  skipUnreachablePeers?: boolean;
  limit?: string;
  offset?: string;
}

/** Adds the API client commands to the binary. */
export const clientCommands: CommandInstaller = (program, _variant, exit, io) => {
  const client = (flags: ClientFlags) =>
    new ApiClient(flags.api ?? io.env.MANAGEOS_API ?? "http://127.0.0.1:8080", flags.token ?? io.env.MANAGEOS_TOKEN);
  const withCommon = (command: Command) =>
    command
      .option("--api <url>", "operator API (default MANAGEOS_API or http://127.0.0.1:8080)")
      .option("--token <token>", "bearer token (default MANAGEOS_TOKEN)")
      .option("--json", "print JSON");
  const guard =
    (body: (flags: ClientFlags, ...args: string[]) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const flags = command.opts<ClientFlags>();
      try {
        exit(await body(flags, ...(args.slice(0, -2) as string[])));
      } catch (error) {
        if (!isManageosError(error)) throw error;
        if (flags.json === true) io.out(`${JSON.stringify(errorJson(error))}\n`);
        io.err(`error ${error.code}: ${error.message}\n`);
        exit(error.code === ClientErrors.badApi.code ? EXIT.usage : EXIT.failure);
      }
    };

  withCommon(program.command("status").description("show the node, its head, the proxy gate and the running job")).action(
    guard(async (flags) => {
      const { body } = await client(flags).call("GET", "/v1/manageos/status");
      io.out(flags.json === true ? `${JSON.stringify(body, null, 2)}\n` : formatStatus(body as Record<string, unknown>));
      return EXIT.ok;
    }),
  );
  withCommon(program.command("jobs").argument("[id]", "one job").description("list recent jobs, or show one")).action(
    guard(async (flags, id) => {
      const { body } = await client(flags).call("GET", id === undefined ? "/v1/jobs" : `/v1/jobs/${encodeURIComponent(id)}`);
      if (flags.json === true) io.out(`${JSON.stringify(body, null, 2)}\n`);
      else if (id !== undefined) io.out(formatJobWithLog((body as { job: JobRecord }).job));
      else for (const job of (body as { jobs: JobRecord[] }).jobs) io.out(formatJob(job));
      return EXIT.ok;
    }),
  );
  withCommon(program.command("cancel").argument("<id>", "job id").description("cancel a queued or running job")).action(
    guard(async (flags, id) => {
      const { body } = await client(flags).call("DELETE", `/v1/jobs/${encodeURIComponent(id as string)}`);
      io.out(flags.json === true ? `${JSON.stringify(body)}\n` : `cancel requested for ${id}\n`);
      return EXIT.ok;
    }),
  );
  withCommon(program.command("backups").description("list backups, newest first"))
    .option("--limit <n>", "how many", "20")
    .option("--offset <n>", "skip this many", "0")
    .action(
      guard(async (flags) => {
        const query = `?limit=${encodeURIComponent(flags.limit ?? "20")}&offset=${encodeURIComponent(flags.offset ?? "0")}`;
        const { body } = await client(flags).call("GET", `/v1/manageos/backups${query}`);
        io.out(flags.json === true ? `${JSON.stringify(body, null, 2)}\n` : formatBackups(body));
        return EXIT.ok;
      }),
    );
  for (const spec of JOB_COMMANDS) {
    const command = withCommon(program.command(spec.name).description(spec.description))
      .option("--no-wait", "return once the job is accepted")
      .option("--queue", "queue behind a running job instead of failing");
    if (spec.argument) command.argument(spec.argument.name, spec.argument.description);
    if (spec.tag) command.option("--tag <tag>", "backup tag");
    if (spec.apply) command.option("--apply", "remove what a dry run lists");
    if (spec.peer) command.requiredOption("--to <url>", "the peer manageos API, such as http://bp-2:8080");
    if (spec.released) {
      command.option("--released-through <block>", "blocks of ours up to this number came from a node of ours that is paused now");
      command.option(
        "--skip-unreachable-peers",
        "resume although some peers do not answer (you know they are paused or down); the job log records it",
      );
    }
    command.action(
      guard(async (flags, argument) => {
        const query = new URLSearchParams();
        if (spec.argument && argument !== undefined) query.set(spec.argument.query, argument);
        if (flags.tag !== undefined) query.set("tag", flags.tag);
        if (flags.apply === true) query.set("apply", "true");
        if (flags.to !== undefined) query.set("to", flags.to);
        if (flags.releasedThrough !== undefined) query.set("released_through", flags.releasedThrough);
        if (flags.skipUnreachablePeers === true) query.set("skip_unreachable_peers", "true");
        if (flags.queue === true) query.set("queue", "true");
        const api = client(flags);
        const { body } = await api.call("POST", `${spec.path}${query.size > 0 ? `?${query}` : ""}`);
        const accepted = (body as { job: JobRecord }).job;
        if (flags.wait === false) {
          io.out(flags.json === true ? `${JSON.stringify(accepted)}\n` : `job ${accepted.id} (${accepted.kind}) ${accepted.state}\n`);
          return EXIT.ok;
        }
        const reporter = progressReporter(io.err, flags.json !== true && process.stderr.isTTY === true);
        const done = await api.follow(accepted.id, (job) => reporter.update(job));
        reporter.stop();
        if (flags.json === true) io.out(`${JSON.stringify(done)}\n`);
        else io.out(formatJob(done));
        if (spec.peer && flags.json !== true && done.result !== undefined) io.out(`${JSON.stringify(done.result, null, 2)}\n`);
        if (spec.result && flags.json !== true && done.result !== undefined) io.out(spec.result(done.result));
        if (done.state !== "succeeded" && done.error !== undefined && flags.json !== true) {
          io.err(`error ${done.error.code}: ${done.error.message}\n`);
        }
        return done.state === "succeeded" ? EXIT.ok : EXIT.failure;
      }),
    );
  }
};

/** One line per job. */
export function formatJob(job: JobRecord): string {
  const tail = job.error ? ` ${job.error.code}: ${job.error.message}` : job.progress.message ? ` ${job.progress.message}` : "";
  return `${job.id}  ${job.kind.padEnd(24)} ${job.state.padEnd(9)} ${job.createdAt}${tail}\n`;
}

/** A job, then its log, one line per entry with its level. */
export function formatJobWithLog(job: JobRecord): string {
  const lines = (job.log ?? []).map((entry) => `  ${entry.at}  ${entry.level.padEnd(5)}  ${entry.message}\n`);
  return `${formatJob(job)}${lines.length > 0 ? lines.join("") : "  (no log lines)\n"}`;
}

/** The backups list as a table: name, time, head block, size, tag, chain. */
export function formatBackups(body: unknown): string {
  const listed = Array.isArray(body) ? body : (body as { backups?: unknown } | undefined)?.backups;
  const backups = (Array.isArray(listed) ? listed : []) as Partial<Record<string, unknown>>[];
  if (backups.length === 0) return "no backups\n";
  const rows = backups.map((b) => [
    String(b.name ?? ""),
    String(b.createdAt ?? ""),
    typeof (b.head as { num?: unknown } | undefined)?.num === "number" ? `#${(b.head as { num: number }).num}` : "",
    typeof b.sizeBytes === "number" ? humanBytes(b.sizeBytes) : "",
    String(b.tag ?? ""),
    // The first 16 hex digits tell chains apart; --json has the whole id.
    typeof b.chainId === "string" ? b.chainId.slice(0, 16) : "",
  ]);
  const header = ["NAME", "TIME", "HEAD", "SIZE", "TAG", "CHAIN"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  return `${[header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}

// 1536 -> "1.5 KiB".
function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** What a gc removed, or in a dry run would remove, one line per object listed. */
export function formatGc(result: unknown): string {
  const r = result as Partial<Record<string, unknown>>;
  const num = (key: string) => (typeof r[key] === "number" ? (r[key] as number) : 0);
  const items = (key: string) => (Array.isArray(r[key]) ? (r[key] as { key?: unknown; size?: unknown }[]) : []);
  const dryRun = r.dryRun === true;
  const lines = [
    `${dryRun ? "dry run: would remove" : "removed"} ${num("removedChunks")} orphan chunks (${num("removedBytes")} bytes), ` +
      `${num("sweptPartials")} partial uploads (${num("sweptPartialBytes")} bytes), ${num("removedMarkers")} left-over markers`,
    ...items("orphans").map((o) => `  chunk    ${String(o.key)}  ${String(o.size)} bytes`),
    ...items("partials").map((p) => `  partial  ${String(p.key)}  ${String(p.size)} bytes`),
    ...(Array.isArray(r.markers) ? (r.markers as unknown[]) : []).map((m) => `  marker   ${String(m)}`),
    `kept ${num("keptChunks")} chunks backups use, ${num("youngOrphans")} unreferenced ones younger than the grace period`,
  ];
  if (dryRun && num("removedChunks") + num("sweptPartials") + num("removedMarkers") > 0) lines.push("run gc --apply to remove them");
  return `${lines.join("\n")}\n`;
}

/** The status answer for a person: node, head, proxy, readiness, job, and the dirty and production state when present. */
export function formatStatus(status: Record<string, unknown>): string {
  const head = status.head as { num?: number; lib?: number; time?: string } | null;
  const proxy = status.proxy as { open?: boolean; reasons?: string[] } | undefined;
  const job = status.job as { id?: string; kind?: string } | null;
  const health = status.health as { ready?: boolean; reasons?: string[] } | undefined;
  const node = status.node as { dirty?: boolean; crashLoop?: boolean } | undefined;
  const lines = [
    `app:        ${String(status.app)} ${String(status.version)} on ${String(status.hostname)}`,
    `node:       ${String(status.state)}${status.maintenance === true ? " (maintenance)" : ""}${node?.crashLoop === true ? " (crash loop)" : ""}`,
  ];
  if (node?.dirty === true) lines.push("dirty:      true (node.dirty: the data needs recovery; see the recover job)");
  lines.push(
    `head:       ${head ? `#${head.num} at ${head.time}, lib #${head.lib}` : "unknown"}`,
    `chain:      ${String(status.chainId ?? "unknown")}`,
    `proxy:      ${proxy?.open ? "open" : `closed (${(proxy?.reasons ?? []).join(", ")})`}`,
    `ready:      ${health?.ready ? "yes" : `no (${(health?.reasons ?? []).join("; ")})`}`,
    `job:        ${job ? `${job.id} ${job.kind}` : "none"}`,
  );
  const production = status.production as Partial<Record<string, unknown>> | null | undefined;
  if (production !== null && production !== undefined) lines.push(...formatProduction(production));
  return `${lines.join("\n")}\n`;
}

// The production lines of `status`: state, paused, signing, lease, guard, and the finalizer key, start and takeover when there are.
function formatProduction(p: Partial<Record<string, unknown>>): string[] {
  // Named and valued as in the JSON (and the runbooks): `paused: true`.
  const bool = (value: unknown) => (typeof value === "boolean" ? String(value) : "unknown");
  const guard = p.guard as { reason?: string; trip?: string; action?: string; at?: number } | null | undefined;
  const lines = [
    `production: ${String(p.producerName ?? "")} ${String(p.state ?? "unknown")}, paused: ${bool(p.paused)}, signing: ${bool(p.signing)}, ` +
      `holdsLease: ${bool(p.holdsLease)} (${String(p.coordinator ?? "local")})${typeof p.leaseLost === "string" ? `, lease lost: ${p.leaseLost}` : ""}`,
    `guard:      ${guard ? `${guard.action ?? "tripped"} (${guard.trip ?? ""}) at ${typeof guard.at === "number" ? new Date(guard.at).toISOString() : "?"}: ${guard.reason ?? ""}` : "not tripped"}`,
  ];
  const finalizer = p.finalizer as { key?: string; activeOnChain?: boolean | null } | null | undefined;
  const conflicts = Array.isArray(p.finalizerKeyConflicts) ? (p.finalizerKeyConflicts as { key?: string; node?: string | null }[]) : [];
  if (finalizer) {
    lines.push(
      `finalizer:  ${String(finalizer.key)}, activeOnChain: ${bool(finalizer.activeOnChain)}` +
        (conflicts.length === 0 ? "" : `, also held by ${conflicts.map((c) => `${c.node ?? "?"} (${c.key ?? "?"})`).join(", ")}`),
    );
  }
  for (const key of ["start", "takeover"] as const) {
    const step = p[key] as { state?: string; reason?: string } | null | undefined;
    if (step) lines.push(`${`${key}:`.padEnd(12)}${step.state ?? "unknown"}${step.reason ? ` (${step.reason})` : ""}`);
  }
  return lines;
}
