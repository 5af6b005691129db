import { mkdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { appBin, createCluster, readLedger, SimChild, startBlocksignerSim, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, nodeConfig, productionOf, until } from "./bp-harness.js";

// One manageos-eos daemon producing bp.b, its manager.yaml and config.ini template in a directory laid out as
// Kubernetes mounts a ConfigMap (files are symlinks through `..data`, swapped in one rename).
let root: string;
let clusterDir: string;
let mount: string;
let signer: Awaited<ReturnType<typeof startBlocksignerSim>>;
let child: SimChild | undefined;
let api: string;
let manager: Record<string, unknown>;
let configIni: string;

let version = 0;
async function kubeletSwap(files: Record<string, string>): Promise<void> {
  version++;
  const stamp = `..2026_11_22_08_00_00.${version}`;
  await mkdir(join(mount, stamp));
  for (const [name, content] of Object.entries(files)) await writeFile(join(mount, stamp, name), content);
  await symlink(stamp, join(mount, "..data_tmp"));
  await rename(join(mount, "..data_tmp"), join(mount, "..data"));
  for (const name of Object.keys(files)) await symlink(join("..data", name), join(mount, name)).catch(() => undefined);
  if (version > 1) await rm(join(mount, `..2026_11_22_08_00_00.${version - 1}`), { recursive: true });
}

const TEMPLATE = "plugin = eosio::net_plugin\nagent-name = before-reload\n";

beforeAll(async () => {
  root = await tempDir("manageos-bp-reload-");
  clusterDir = join(root, "cluster");
  mount = join(root, "mount");
  await mkdir(mount);
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b", "bp.c"], roundLength: 12, blockIntervalMs: 50 });
  signer = await startBlocksignerSim({});
  const dir = join(root, "node-0");
  const base = await nodeConfig({
    name: "node-0",
    dir,
    clusterDir,
    blocksigner: signer.url,
    layout: "leap",
    coordinator: { kind: "local" },
    bp: { producerHostname: "node-0" },
  });
  manager = {
    ...base,
    configWatch: { dir: mount, debounce: "300ms" },
    node: { ...(base.node as object), configTemplate: join(mount, "config.ini") },
  };
  configIni = join(dir, "config", "config.ini");
  await kubeletSwap({ "manager.yaml": JSON.stringify(manager, null, 2), "config.ini": TEMPLATE });
  child = SimChild.spawn("manageos node-0", appBin("eos"), ["run", "--config", join(mount, "manager.yaml")], { ...process.env });
  const endpoints = join(String(manager.stateDir), "endpoints.json");
  const spawned = child;
  api = await until("node-0 to listen", async () => {
    if (spawned.exitResult !== undefined) throw new Error(`exited:\n${spawned.tail(40)}`);
    const e = await readFile(endpoints, "utf8").then(
      (t) => JSON.parse(t) as { api: string; pid: number },
      () => undefined,
    );
    return e?.pid === spawned.pid ? e.api : undefined;
  });
}, 120_000);

afterAll(async () => {
  await child?.stop(30_000);
  await signer?.stop();
  await rm(root, { recursive: true, force: true });
}, 120_000);

async function jobs(): Promise<{ id: string; kind: string; state: string; result?: Record<string, unknown>; error?: unknown }[]> {
  return ((await call(api, "GET", "/v1/jobs?limit=50")).body.jobs ?? []) as never;
}

describe("reload from a mounted ConfigMap directory", () => {
  it("ignores an invalid manager.yaml, logging every problem, and keeps producing", async () => {
    await until("node-0 producing", async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > 0 || undefined, 60_000);
    expect(await readFile(configIni, "utf8")).toContain("agent-name = before-reload");
    const bad = { ...manager, bp: { ...(manager.bp as object), claimWindow: "soon" }, bogus: true };
    await kubeletSwap({ "manager.yaml": JSON.stringify(bad, null, 2), "config.ini": TEMPLATE });
    // pino writes JSON lines to stdout.
    const stdout = () => child?.stdoutLines.join("\n") ?? "";
    await until("the error line", async () => (stdout().includes("new configuration is invalid") ? true : undefined), 15_000);
    const line = JSON.parse(child?.stdoutLines.find((l) => l.includes("new configuration is invalid")) ?? "{}") as {
      level?: unknown;
      problems?: string[];
    };
    expect(line.level).toBe("error");
    const log = (line.problems ?? []).join("\n");
    expect(log).toContain("bp.claimWindow:");
    expect(log).toContain("bogus: unknown key");
    const before = (await readLedger(clusterDir)).byInstance["node-0"] ?? 0;
    await until(
      "more blocks of node-0",
      async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > before + 12 || undefined,
      20_000,
    );
    expect((await jobs()).filter((j) => j.kind === "safely_reload")).toEqual([]);
  }, 120_000);

  it("regenerates config.ini and restarts through a safely_reload job that waits out our round and resumes", async () => {
    await kubeletSwap({
      "manager.yaml": JSON.stringify(manager, null, 2),
      "config.ini": TEMPLATE.replace("before-reload", "after-reload"),
    });
    const job = await until(
      "the reload job to end",
      async () => {
        const j = (await jobs()).find((x) => x.kind === "safely_reload");
        return j !== undefined && ["succeeded", "failed", "cancelled"].includes(j.state) ? j : undefined;
      },
      90_000,
      250,
    );
    expect(job.state, JSON.stringify(job)).toBe("succeeded");
    expect(job.result?.restart).toMatchObject({ policy: "wait-round", action: "paused-for-restart", resumeAfter: true });
    expect(job.result?.resumed).toMatchObject({ resumed: true });
    const ini = await readFile(configIni, "utf8");
    expect(ini).toContain("agent-name = after-reload");
    // Started paused after the reload (the safe resume brought production back), not by producer_hostname.
    expect(ini).toContain("pause-on-startup = true");
    expect((await productionOf(api)).paused).toBe(false);
    const before = (await readLedger(clusterDir)).byInstance["node-0"] ?? 0;
    await until(
      "node-0 producing again",
      async () => ((await readLedger(clusterDir)).byInstance["node-0"] ?? 0) > before + 12 || undefined,
      20_000,
    );
    expect((await readLedger(clusterDir)).doubleSlots).toEqual([]);
  }, 150_000);
});
