import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { isAlive, readDirtyFlag, startManageos, stateFilePath, appBin, type ManageosProcess } from "@manageos/testkit";
import { APIClient, FetchProvider } from "@wharfkit/antelope";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "./support.js";

const run = promisify(execFile);

// Runs the eos binary as the CLI client against the daemon.
async function cli(api: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [appBin("eos"), ...args, "--api", api], { env: { PATH: process.env.PATH } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let m: ManageosProcess;
let proxy: string;
beforeAll(async () => {
  // A body limit below the default, so that the test below sees the daemon honour the setting.
  m = await startManageos({ args: ["--set", "proxy.maxBodySize=64KiB"] });
  proxy = m.proxy as string;
});
afterAll(async () => {
  if (m.process.exitResult === undefined) await m.stop();
});

describe("manageos supervising nodeos-sim", () => {
  let nodePid: number;

  it("opens the proxy once the node is synced, and a real Antelope client reads get_info through it", async () => {
    await until("healthz 200", async () => ((await fetch(`${m.api}/healthz`)).status === 200 ? true : undefined));
    const client = new APIClient({ provider: new FetchProvider(proxy, { fetch }) });
    const info = await client.v1.chain.get_info();
    expect(Number(info.head_block_num)).toBeGreaterThan(0);
    const direct = (await (await fetch(`${m.nodeUrl}/v1/chain/get_info`)).json()) as { chain_id: string };
    expect(String(info.chain_id)).toBe(direct.chain_id);
    const status = JSON.parse((await cli(m.api, "status", "--json")).stdout);
    expect(status).toMatchObject({ state: "running", synced: true, proxy: { open: true } });
    nodePid = status.node.pid;
    expect(isAlive(nodePid)).toBe(true);
  });

  it("refuses a body over proxy.maxBodySize with 413 and a code, without passing it to the node", async () => {
    const big = await fetch(`${proxy}/v1/chain/get_info`, { method: "POST", body: "x".repeat(100 * 1024) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe("PRX_ERR_BODY_TOO_LARGE");
    const small = await fetch(`${proxy}/v1/chain/get_info`, { method: "POST", body: "{}" });
    expect(small.status).toBe(200);
  });

  it("keeps the producer API off the public port", async () => {
    const denied = await fetch(`${proxy}/v1/producer/pause`, { method: "POST" });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: string }).code).toBe("PRX_ERR_DENIED");
    const paused = await (await fetch(`${m.nodeUrl}/v1/producer/paused`, { method: "POST" })).json();
    expect(paused).toBe(false);
  });

  it("maintenance from the CLI closes the proxy and stops nodeos; the client gets the 503", async () => {
    const res = await cli(m.api, "maintenance");
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/maintenance\s+succeeded/);
    expect(isAlive(nodePid)).toBe(false);
    const closed = await fetch(`${proxy}/v1/chain/get_info`);
    expect(closed.status).toBe(503);
    expect(closed.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await closed.json()) as { details: { reasons: string[] } }).details.reasons).toContain("maintenance");
    const client = new APIClient({ provider: new FetchProvider(proxy, { fetch }) });
    await expect(client.v1.chain.get_info()).rejects.toThrow(/PRX_ERR_CLOSED|closed|503/);
    expect((await fetch(`${m.api}/healthz`)).status).toBe(503);
  });

  it("resume from the CLI starts nodeos and reopens the proxy once synced", async () => {
    const res = await cli(m.api, "resume");
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/resume\s+succeeded/);
    const open = await fetch(`${proxy}/v1/chain/get_info`);
    expect(open.status).toBe(200);
    const jobs = JSON.parse((await cli(m.api, "jobs", "--json")).stdout) as { jobs: Array<{ kind: string; state: string }> };
    expect(jobs.jobs.slice(0, 2).map((j) => `${j.kind}:${j.state}`)).toEqual(["resume:succeeded", "maintenance:succeeded"]);
  });

  it("reports a refused command with its code and a non-zero exit", async () => {
    const res = await cli(m.api, "pause-production");
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("OPS_ERR_NOT_BP_MODE");
    // The CLI passes --released-through on; the API checks it before anything else.
    const bad = await cli(m.api, "resume-production", "--released-through", "twelve");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/error \S+: .*released_through/);
  });

  it("SIGTERM stops nodeos cleanly (dirty flag clear) and manageos exits 0", async () => {
    const status = (await (await fetch(`${m.api}/v1/manageos/status`)).json()) as { node: { pid: number } };
    const pid = status.node.pid;
    const exit = await m.stop();
    expect(exit.code).toBe(0);
    expect(isAlive(pid)).toBe(false);
    expect(await readDirtyFlag(stateFilePath(`${m.dir}/data`))).toBe(false);
  });
});
