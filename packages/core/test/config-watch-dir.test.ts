import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Chain,
  type Config,
  ConfigDirWatcher,
  type ConfigInput,
  ConfigReloader,
  type DirChange,
  type JobRecord,
  planReload,
  validateConfig,
} from "../src/index.js";

const silent = pino({ level: "silent" });
const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "manageos-cw-"));
  dirs.push(dir);
  return dir;
}

let version = 0;
// What the kubelet does: the files in a new timestamped dir, `..data_tmp` pointing at it, renamed over `..data`.
async function kubeletSwap(dir: string, files: Record<string, string>): Promise<void> {
  version++;
  const stamp = `..2026_11_22_08_00_${String(version).padStart(2, "0")}.${version}`;
  await mkdir(join(dir, stamp));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, stamp, name), content);
  const previous = await readFile(join(dir, "..data", ".stamp"), "utf8").catch(() => undefined);
  await writeFile(join(dir, stamp, ".stamp"), stamp);
  await symlink(stamp, join(dir, "..data_tmp"));
  await rename(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const name of Object.keys(files)) await symlink(join("..data", name), join(dir, name)).catch(() => undefined);
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true });
}

async function watch(dir: string, debounceMs: number): Promise<DirChange[]> {
  const watcher = new ConfigDirWatcher({ dir, debounceMs, pollMs: 500 }, { logger: silent });
  const changes: DirChange[] = [];
  watcher.on("change", (c) => changes.push(c));
  await watcher.start();
  closers.push(() => watcher.close());
  return changes;
}

async function until<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("ConfigDirWatcher on a Kubernetes-style mounted dir", () => {
  it("reports a ..data symlink swap once, naming the files whose content changed", async () => {
    const dir = await newDir();
    await kubeletSwap(dir, { "manager.yaml": "bp:\n  pauseTimeout: 5s\n", "config.ini": "plugin = a\n" });
    const changes = await watch(dir, 150);
    await kubeletSwap(dir, { "manager.yaml": "bp:\n  pauseTimeout: 6s\n", "config.ini": "plugin = a\n" });
    const first = await until(() => changes[0]);
    expect(first.changed).toEqual(["manager.yaml"]);
    // Nothing more comes for the same swap.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(changes).toHaveLength(1);
  });

  it("debounces a burst of swaps into one change with the final content", async () => {
    const dir = await newDir();
    await kubeletSwap(dir, { "manager.yaml": "a: 0\n" });
    const changes = await watch(dir, 400);
    for (let i = 1; i <= 5; i++) {
      await kubeletSwap(dir, { "manager.yaml": `a: ${i}\n`, ...(i === 5 ? { "config.ini": "x = 1\n" } : {}) });
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await until(() => changes[0]);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(changes).toHaveLength(1);
    expect(changes[0]?.changed).toEqual(["config.ini", "manager.yaml"]);
    expect(await readFile(join(dir, "manager.yaml"), "utf8")).toBe("a: 5\n");
  });

  it("reports nothing when a swap brings the same content", async () => {
    const dir = await newDir();
    await kubeletSwap(dir, { "manager.yaml": "same: true\n" });
    const changes = await watch(dir, 100);
    await kubeletSwap(dir, { "manager.yaml": "same: true\n" });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(changes).toEqual([]);
    await kubeletSwap(dir, { "manager.yaml": "same: false\n" });
    expect((await until(() => changes[0])).changed).toEqual(["manager.yaml"]);
  });
});

describe("planReload", () => {
  const base = validateConfig({ bp: { enabled: true, producerName: "bp.b" } });
  const next = (over: ConfigInput) =>
    validateConfig({
      bp: { enabled: true, producerName: "bp.b", ...over.bp },
      ...(over.node ? { node: over.node } : {}),
      ...(over.api ? { api: over.api } : {}),
    });

  it("sorts changes into live, node restart and manageos restart", () => {
    const plan = planReload(
      base,
      next({
        bp: { pauseTimeout: "9s", producerHostname: "bp-2" },
        node: { configKeys: { "p2p-peer-address": ["a:1", "b:2"] } },
        api: { listen: "127.0.0.1:9000" },
      }),
    );
    expect(plan.live).toEqual(["bp.pauseTimeout"]);
    expect(plan.restart).toEqual(["node.configKeys.p2p-peer-address"]);
    // The producer host is meant to produce from manageos' start; it never shaped how nodeos starts.
    expect(plan.needsManageosRestart).toEqual(["api.listen", "bp.producerHostname"]);
  });

  it("counts a changed template content as a restart even when its path is the same", () => {
    expect(planReload(base, base, true).restart).toEqual(["node.configTemplate (content)"]);
    expect(planReload(base, base, false)).toEqual({ live: [], restart: [], needsManageosRestart: [] });
  });
});

describe("ConfigReloader", () => {
  async function setup() {
    const dir = await newDir();
    const file = join(dir, "manager.yaml");
    const template = join(dir, "config.ini");
    await writeFile(template, "plugin = eosio::net_plugin\n");
    const yaml = (extra: string) => `bp:\n  enabled: true\n  producerName: bp.b\n${extra}node:\n  configTemplate: ${template}\n`;
    await writeFile(file, yaml(""));
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _e, cb) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          cb();
        },
      }),
    );
    const reconfigured: Config[] = [];
    const reloads: string[] = [];
    const live: Config[] = [];
    const chain = { reconfigure: (c: Config) => reconfigured.push(c) } as unknown as Chain;
    const config = validateConfig({ bp: { enabled: true, producerName: "bp.b" }, node: { configTemplate: template } });
    const reloader = new ConfigReloader(
      { sources: { file }, config },
      {
        chain,
        logger,
        safelyReload: () => {
          reloads.push("job");
          return { id: `job-${reloads.length}` } as JobRecord;
        },
        applyLive: (c) => live.push(c),
      },
    );
    await reloader.start();
    return { file, template, yaml, lines, reconfigured, reloads, live, reloader };
  }

  it("logs an invalid new configuration at error with every path: message, and keeps the old one", async () => {
    const t = await setup();
    await writeFile(t.file, t.yaml("  claimWindow: soon\n  bogus: 1\n"));
    const outcome = await t.reloader.reload("test");
    expect(outcome.outcome).toBe("invalid");
    expect(outcome.problems).toEqual(expect.arrayContaining(["bp.bogus: unknown key", expect.stringMatching(/^bp\.claimWindow: /)]));
    const error = t.lines.find((l) => l.level === 50);
    expect(error?.problems).toEqual(outcome.problems);
    expect(String(error?.msg)).toContain("bp.bogus: unknown key");
    expect(t.reconfigured).toEqual([]);
    expect(t.reloads).toEqual([]);
    expect(t.reloader.config.bp.claimWindow).toBe(5_000);
  });

  it("applies production timing live, without a restart", async () => {
    const t = await setup();
    await writeFile(t.file, t.yaml("  pauseTimeout: 12s\n  reloadPolicy: handoff\n"));
    const outcome = await t.reloader.reload("test");
    expect(outcome.outcome).toBe("applied");
    expect(t.live.map((c) => [c.bp.pauseTimeout, c.bp.reloadPolicy])).toEqual([[12_000, "handoff"]]);
    expect(t.reloads).toEqual([]);
  });

  it("reconfigures the node and submits the safely_reload job for config.ini changes", async () => {
    const t = await setup();
    await writeFile(t.template, "plugin = eosio::net_plugin\np2p-peer-address = peer:9876\n");
    await writeFile(t.file, t.yaml("  producerHostname: bp-1\n"));
    const outcome = await t.reloader.reload("test");
    expect(outcome).toMatchObject({ outcome: "restarting", job: "job-1" });
    expect(outcome.plan?.restart).toEqual(["node.configTemplate (content)"]);
    expect(outcome.plan?.needsManageosRestart).toEqual(["bp.producerHostname"]);
    expect(t.reconfigured).toHaveLength(1);
    expect(t.reconfigured[0]?.node.configTemplate).toBe(t.template);
    expect(t.reloader.config.bp.producerHostname).toBe("bp-1");
    // The same content again changes nothing.
    expect((await t.reloader.reload("again")).outcome).toBe("unchanged");
    expect(t.reloads).toHaveLength(1);
  });
});
