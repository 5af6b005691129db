import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { NODEOS_SIM_BIN, startNodeosSim, tempDir } from "../src/index.js";

const run = promisify(execFile);

async function exitOf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [NODEOS_SIM_BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function configDir(text: string): Promise<string> {
  const dir = join(await tempDir(), "config");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.ini"), text);
  return dir;
}

describe("nodeos-sim options", () => {
  it("refuses an unknown command line option with boost's message and exit 254", async () => {
    const dir = await tempDir();
    const r = await exitOf(["--data-dir", join(dir, "data"), "--config-dir", dir, "--no-such-option", "1"]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("Dynamic exception type: boost::wrapexcept<boost::program_options::unknown_option>");
    expect(r.stderr).toContain("std::exception::what: unrecognised option 'no-such-option'");
  });

  it("refuses an unknown config.ini option, and genesis-json in config.ini (command line only)", async () => {
    for (const bad of ["wallet-dir = .", "genesis-json = /tmp/genesis.json"]) {
      const dir = await configDir(`# comment\nplugin = eosio::chain_api_plugin\n${bad}\n`);
      const r = await exitOf(["--config-dir", dir, "--data-dir", join(dir, "..", "data")]);
      expect(r.code).toBe(254);
      expect(r.stderr).toContain(`unrecognised option '${bad.split(" ")[0]}'`);
    }
  });

  it("refuses a malformed config.ini line and a repeated single-valued option", async () => {
    const syntax = await configDir("plugin = eosio::chain_api_plugin\nthis line has no equals\n");
    const r1 = await exitOf(["--config-dir", syntax, "--data-dir", join(syntax, "..", "data")]);
    expect(r1.code).toBe(254);
    expect(r1.stderr).toContain("the options configuration file contains an invalid line 'this line has no equals'");
    const twice = await configDir("enable-stale-production = true\nenable-stale-production = false\n");
    const r2 = await exitOf(["--config-dir", twice, "--data-dir", join(twice, "..", "data")]);
    expect(r2.code).toBe(254);
    expect(r2.stderr).toContain("option 'enable-stale-production' cannot be specified more than once");
  });

  it("keeps repeated keys in order and values containing '=' (signature-provider, p2p peers)", async () => {
    const sim = await startNodeosSim({
      config: {
        "p2p-peer-address": ["a:9876", "b:9876", "c:9876"],
        "signature-provider":
          "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3",
        "producer-name": "eosio",
      },
      blockIntervalMs: 20,
    });
    const peers = (await (await fetch(`${sim.httpUrl}/v1/net/connections`)).json()) as { peer: string }[];
    expect(peers.map((p) => p.peer)).toEqual(["a:9876", "b:9876", "c:9876"]);
    // The KEY: provider parsed (value split at the first '='): the node produces.
    await sim.process.waitForLine(/Produced block [0-9a-f]{16}\.\.\. #\d+ @ .* signed by eosio/);
    await sim.stop();
  });

  it("prints its version and default config and exits 0", async () => {
    const v = await exitOf(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^v\d+\.\d+\.\d+$/);
    const c = await exitOf(["--print-default-config"]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain("# http-server-address = 127.0.0.1:8888");
  });

  it("refuses an unknown plugin", async () => {
    const dir = await configDir("plugin = eosio::no_such_plugin\n");
    const r = await exitOf(["--config-dir", dir, "--data-dir", join(dir, "..", "data")]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain("unable to find plugin: eosio::no_such_plugin");
  });
});

describe("nodeos-sim snapshots and --delete-all-blocks", () => {
  it("starts from a snapshot into an empty data dir and refuses one when state exists", async () => {
    const source = await startNodeosSim({ blockIntervalMs: 20 });
    await source.process.waitForLine(/#8 @/);
    const snap = (await (await fetch(`${source.httpUrl}/v1/producer/create_snapshot`, { method: "POST" })).json()) as {
      snapshot_name: string;
      head_block_num: number;
      head_block_id: string;
    };
    const sourceInfo = (await (await fetch(`${source.httpUrl}/v1/chain/get_info`)).json()) as { chain_id: string };
    await source.stop();

    const restored = await startNodeosSim({ blockIntervalMs: 20, args: ["--snapshot", snap.snapshot_name] });
    const info = (await (await fetch(`${restored.httpUrl}/v1/chain/get_info`)).json()) as {
      chain_id: string;
      head_block_num: number;
      earliest_available_block_num: number;
    };
    expect(info.chain_id).toBe(sourceInfo.chain_id);
    expect(info.head_block_num).toBeGreaterThanOrEqual(snap.head_block_num);
    await restored.process.waitForLine(new RegExp(`#${snap.head_block_num + 2} @`));
    const next = (await (
      await fetch(`${restored.httpUrl}/v1/chain/get_block`, {
        method: "POST",
        body: JSON.stringify({ block_num_or_id: snap.head_block_num + 1 }),
      })
    ).json()) as { previous: string };
    expect(next.previous).toBe(snap.head_block_id);
    await restored.stop();

    const again = await startNodeosSim({
      dataDir: restored.dataDir,
      configDir: restored.configDir,
      waitFor: "spawn",
      args: ["--snapshot", snap.snapshot_name],
    });
    expect((await again.exited).code).toBe(254);
    expect(again.process.stderrLines.join("\n")).toContain("Snapshot can only be used to initialize an empty database.");
  });

  it("starts a fresh chain with --delete-all-blocks, even over a dirty state", async () => {
    const dir = await tempDir();
    const opts = { dataDir: join(dir, "data"), configDir: join(dir, "config"), blockIntervalMs: 20 };
    const first = await startNodeosSim(opts);
    await first.process.waitForLine(/#6 @/);
    first.kill("SIGKILL");
    await first.exited;
    const fresh = await startNodeosSim({ ...opts, args: ["--delete-all-blocks"] });
    await fresh.process.waitForLine(/Received block/);
    const b1 = (await (
      await fetch(`${fresh.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: 1 }) })
    ).json()) as { previous: string };
    expect(b1.previous).toBe("0".repeat(64));
    expect(await fresh.stop()).toEqual({ code: 0, signal: null });
  });
});
