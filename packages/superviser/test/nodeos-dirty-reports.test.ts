import type { DirtyEvent } from "@manageos/core";
import { afterEach, describe, expect, it } from "vitest";
import { fixture, memoryLogger, waitFor } from "./helpers.js";
import { type SimChain, simChain } from "./nodeos-helpers.js";

const STAND_IN = fixture("nodeos-stand-in.js");
const chains: SimChain[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.dispose();
});

// A nodeos Chain on the stand-in, which prints `stderr` and exits `exit` at once; never restarted.
async function standIn(env: { stderr: string; exit: number; dirty?: boolean }, logger = memoryLogger()): Promise<SimChain> {
  const c = await simChain(
    { node: { binary: STAND_IN } },
    { NODEOS_STAND_IN_STDERR: env.stderr, NODEOS_STAND_IN_EXIT: String(env.exit), NODEOS_STAND_IN_DIRTY: env.dirty === true ? "1" : "0" },
    logger.logger,
  );
  chains.push(c);
  return c;
}

// Starts the chain and resolves with its dirty events once its exit has been handled.
async function runToExit(c: SimChain): Promise<string[]> {
  const sources: string[] = [];
  c.chain.on("dirty", (d: DirtyEvent) => sources.push(d.source));
  const exited = waitFor(c.chain, "exit");
  await c.chain.start();
  await exited;
  return sources;
}

describe("nodeos dirty database reports", () => {
  it("learns dirtiness from EOSIO 2.1's `Database dirty flag set` line", async () => {
    const c = await standIn({
      stderr:
        "error 2021-06-01T12:00:00.500 thread-0  controller.cpp:330 startup ] Database dirty flag set (likely due to unclean shutdown): replay required",
      exit: 2,
    });
    expect(await runToExit(c)).toEqual(["log", "exit-code"]);
    expect(c.chain.status()).toMatchObject({ state: "failed", dirty: true });
  });

  it("reads leap 3.2's plugin_config_exception exit 254 as dirty when the flag on disk is set, and says why", async () => {
    const log = memoryLogger();
    const c = await standIn(
      {
        stderr:
          "error 2022-06-01T12:00:00.500 nodeos    main.cpp:151 main ] 3110006 plugin_config_exception: Incorrect plugin configuration",
        exit: 254,
        dirty: true,
      },
      log,
    );
    expect(await runToExit(c)).toEqual(["offline"]);
    expect(c.chain.status().dirty).toBe(true);
    const said = log.records().find((r) => r.module === "chain" && String(r.msg).includes("plugin_config_exception"));
    expect(said).toMatchObject({ level: "warn", exitCode: 254, dirtyFlag: true });
    expect(String(said?.msg)).toContain("dirty flag on disk is set");
  });

  it("reads the same exit 254 as a configuration error when the flag on disk is clear", async () => {
    const log = memoryLogger();
    const c = await standIn(
      {
        stderr:
          "error 2022-06-01T12:00:00.500 nodeos    main.cpp:151 main ] 3110006 plugin_config_exception: Incorrect plugin configuration",
        exit: 254,
      },
      log,
    );
    expect(await runToExit(c)).toEqual([]);
    expect(c.chain.status().dirty).toBe(false);
    const said = log.records().find((r) => r.module === "chain" && String(r.msg).includes("plugin_config_exception"));
    expect(String(said?.msg)).toContain("a configuration error, not a dirty database");
  });

  it("re-emits the lines after an error line at their own level, and a paused standby's 'not producing' at debug", async () => {
    const log = memoryLogger();
    const paused =
      "error 2024-09-01T12:00:00.500 nodeos    producer_plugin.cpp:2747 start_block ] Not producing block because production is explicitly paused";
    const failed =
      "error 2024-09-01T12:00:00.500 nodeos    main.cpp:151 main ] 3110006 plugin_config_exception: Incorrect plugin configuration";
    const appbase =
      "APPBASE: Warning: The following configuration items in the config.ini file are redundantly set to their default value:";
    const item = "    chain-state-db-size-mb = 1024";
    const c = await standIn({ stderr: [paused, failed, appbase, item].join("\n"), exit: 254 }, log);
    await runToExit(c);
    const lines = log
      .records()
      .filter((r) => r.module === "nodeos")
      .map((r) => [r.msg, r.level]);
    expect(lines).toEqual([
      [paused, "debug"],
      [failed, "error"],
      [appbase, "warn"],
      [item, "info"],
    ]);
  });
});
