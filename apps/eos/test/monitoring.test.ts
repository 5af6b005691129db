import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ManageosProcess, startBlocksignerSim, startManageos } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { until } from "./support.js";

// The dashboard and the alert rules must read series that a fresh daemon already exports: a counter born at its
// first event gives increase() nothing, so the alert on that event never fires.
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
// Labels Prometheus adds at scrape time, or that the dashboard's variables fill in.
const SCRAPE_LABELS = new Set(["instance", "job"]);

/** One sample line of /metrics. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
}

/** A vector selector found in an expression: a metric name and its label matchers. */
interface Selector {
  readonly text: string;
  readonly name: string;
  readonly matchers: readonly { label: string; op: string; value: string }[];
}

const LABEL = /([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;

// The samples of a /metrics text (comments skipped).
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const [, label, , value] of (m[2] ?? "").matchAll(LABEL)) labels[label as string] = value as string;
    out.push({ name: m[1] as string, labels });
  }
  return out;
}

// Every manageos_ selector in an expression; all our names share the prefix, so no PromQL parser is needed to find them.
function selectors(expr: string): Selector[] {
  return [...expr.matchAll(/\b(manageos_[a-z0-9_]+)(\{[^}]*\})?/g)].map(([text, name, braces]) => ({
    text,
    name: name as string,
    matchers: [...(braces ?? "").matchAll(LABEL)].map(([, label, op, value]) => ({
      label: label as string,
      op: op as string,
      value: value as string,
    })),
  }));
}

// Whether a sample satisfies one matcher; regex matchers are anchored, as in PromQL.
function matches(sample: Sample, m: Selector["matchers"][number]): boolean {
  const value = sample.labels[m.label] ?? "";
  if (m.op === "=") return value === m.value;
  if (m.op === "!=") return value !== m.value;
  const hit = new RegExp(`^(?:${m.value})$`).test(value);
  return m.op === "=~" ? hit : !hit;
}

// What is wrong with a selector against a /metrics text: no series at all, or a listed label value without one.
function problem(selector: Selector, exported: readonly Sample[]): string | undefined {
  const matchers = selector.matchers.filter((m) => !SCRAPE_LABELS.has(m.label));
  const found = exported.filter((s) => s.name === selector.name && matchers.every((m) => matches(s, m)));
  if (found.length === 0) return `${selector.text}: no series`;
  // `reason=~"a|b"` names values: each must have its series, or a misspelt one would never match.
  for (const m of matchers) {
    if (m.op !== "=~" || !/^[\w.-]+(\|[\w.-]+)*$/.test(m.value)) continue;
    const missing = m.value.split("|").filter((v) => !found.some((s) => s.labels[m.label] === v));
    if (missing.length > 0) return `${selector.text}: no series with ${m.label} ${missing.join(", ")}`;
  }
  return undefined;
}

// Every string of a JSON document (the dashboard's expressions, its variables' queries).
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

// The expressions of the shipped alert rules and dashboard, each with where it comes from.
async function shippedExpressions(): Promise<{ where: string; expr: string }[]> {
  const rules = parse(await readFile(join(ROOT, "deploy/prometheus/alerts.yaml"), "utf8")) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const fromRules = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
  const dashboard = JSON.parse(await readFile(join(ROOT, "deploy/grafana/manageos.json"), "utf8")) as unknown;
  const fromDashboard = strings(dashboard)
    .filter((s) => s.includes("manageos_"))
    .map((expr) => ({ where: "dashboard", expr }));
  return [...fromRules, ...fromDashboard];
}

const scrape = async (api: string) => (await fetch(`${api}/metrics`)).text();

let bp: ManageosProcess | undefined;
let mindreader: ManageosProcess | undefined;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>> | undefined;
// Fresh /metrics of an eos block producer (bp mode, paused: not the producer host) and of an eos mindreader.
const metrics = { bp: "", mindreader: "" };

beforeAll(async () => {
  signer = await startBlocksignerSim({});
  [bp, mindreader] = await Promise.all([
    startManageos({ app: "eos", config: { hostname: "bp-test", bp: { enabled: true, producerName: "bp.b", blocksigner: signer.url } } }),
    startManageos({ app: "eos-mindreader" }),
  ]);
  // Fresh, but running: the node has reported a head, so the chain metrics are there as an operator first sees them.
  for (const [key, daemon] of [
    ["bp", bp],
    ["mindreader", mindreader],
  ] as const) {
    metrics[key] = await until(
      `${key} reporting a head block`,
      async () => {
        const text = await scrape(daemon.api);
        return /^manageos_chain_head_block_number\{[^}]*\} [1-9]/m.test(text) ? text : undefined;
      },
      60_000,
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([bp?.stop(), mindreader?.stop()]);
  await signer?.stop();
}, 120_000);

describe("what the dashboard and the alerts read, on a fresh daemon", () => {
  it("finds every series the shipped alert rules and dashboard name, with the label values they match", async () => {
    const exported = { bp: samples(metrics.bp), mindreader: samples(metrics.mindreader) };
    const expressions = await shippedExpressions();
    expect(expressions.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const { where, expr } of expressions) {
      for (const selector of selectors(expr)) {
        // The mindreader's own metrics exist in the mindreader apps only.
        const app = selector.name.startsWith("manageos_mindreader_") ? "mindreader" : "bp";
        const wrong = problem(selector, exported[app]);
        if (wrong !== undefined) problems.push(`${where} (${app}): ${wrong}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("starts the counters of known events at zero, so that their first increment is an increase", () => {
    const at = (text: string, name: string, labels: Record<string, string>) =>
      text.split("\n").some((line) => {
        const [sample] = samples(line);
        return sample?.name === name && line.endsWith(" 0") && Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
      });
    expect(at(metrics.bp, "manageos_recoveries_total", { step: "restore-latest", result: "success" })).toBe(true);
    expect(at(metrics.bp, "manageos_node_exits_total", { code: "2" })).toBe(true);
    expect(at(metrics.bp, "manageos_chain_blocks_produced_total", { producer: "bp.b" })).toBe(true);
    expect(at(metrics.bp, "manageos_bp_guard_trips_total", { reason: "lease-lost" })).toBe(true);
    expect(at(metrics.bp, "manageos_backup_runs_total", { result: "failure" })).toBe(true);
    expect(at(metrics.bp, "manageos_backup_restores_total", { result: "fallback" })).toBe(true);
    expect(at(metrics.bp, "manageos_backup_duration_seconds_count", { operation: "restore" })).toBe(true);
    expect(at(metrics.mindreader, "manageos_mindreader_dropped_blocks_total", { reason: "truncated" })).toBe(true);
    expect(at(metrics.mindreader, "manageos_mindreader_continuity_errors_total", { kind: "gap" })).toBe(true);
    expect(at(metrics.mindreader, "manageos_mindreader_uploads_total", { result: "timeout" })).toBe(true);
  });

  it("says whether production is paused, and that backups are not scheduled", async () => {
    // nodeos starts paused in bp mode; the production service learns it at its first check.
    await until("production paused", async () =>
      /^manageos_bp_production_paused\{app="eos"\} 1$/m.test(await scrape((bp as ManageosProcess).api)) ? true : undefined,
    );
    expect(metrics.mindreader).toMatch(/^manageos_bp_production_paused\{app="eos-mindreader"\} 0$/m);
    expect(metrics.bp).toMatch(/^manageos_backup_scheduled\{app="eos"\} 0$/m);
    expect(metrics.bp).toMatch(/^manageos_backup_last_success_timestamp_seconds\{app="eos"\} 0$/m);
  });

  it("exports no metric twice under two names, and documents none that it does not export", async () => {
    const help = new Map<string, string[]>();
    for (const text of Object.values(metrics)) {
      for (const [, name, meaning] of text.matchAll(/^# HELP (manageos_\w+) (.*)$/gm)) {
        const names = help.get(meaning as string) ?? [];
        if (!names.includes(name as string)) names.push(name as string);
        help.set(meaning as string, names);
      }
    }
    expect([...help.values()].filter((names) => names.length > 1)).toEqual([]);
    const exported = new Set([...help.values()].flat());
    const doc = await readFile(join(ROOT, "docs/metrics.md"), "utf8");
    const documented = new Set([...doc.matchAll(/`(manageos_[a-z0-9_]*[a-z0-9])[`{]/g)].map((m) => m[1] as string));
    expect([...documented].filter((name) => !exported.has(name))).toEqual([]);
  });
});
