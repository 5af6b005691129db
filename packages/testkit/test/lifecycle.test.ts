import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readDirtyFlag, startNodeosSim, stateFilePath, tempDir } from "../src/index.js";

async function headOf(httpUrl: string): Promise<number> {
  const res = await fetch(`${httpUrl}/v1/chain/get_info`, { method: "POST" });
  return ((await res.json()) as { head_block_num: number }).head_block_num;
}

describe("nodeos-sim lifecycle", () => {
  it("leaves the dirty flag set after SIGKILL and then refuses to start with exit 2 until replayed", async () => {
    const dir = await tempDir();
    const opts = { dataDir: `${dir}/data`, configDir: `${dir}/config`, blockIntervalMs: 20 };
    const first = await startNodeosSim(opts);
    await first.process.waitForLine(/Received block .* #5 @/);
    expect(await readDirtyFlag(stateFilePath(first.dataDir))).toBe(true);
    first.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    const state = await readFile(stateFilePath(first.dataDir));
    expect(state[8]).toBe(1);

    const dirty = await startNodeosSim({ ...opts, waitFor: "spawn" });
    expect((await dirty.exited).code).toBe(2);
    expect(dirty.process.stderrLines).toContainEqual(
      expect.stringMatching(
        /^error .* main\.cpp:\d+ +main +\] database dirty flag set \(likely due to unclean shutdown\): replay required$/,
      ),
    );

    const replayed = await startNodeosSim({ ...opts, args: ["--replay-blockchain"] });
    await replayed.process.waitForLine(/Received block/);
    expect(await readDirtyFlag(stateFilePath(replayed.dataDir))).toBe(true);
    expect(await replayed.stop()).toEqual({ code: 0, signal: null });
    expect(await readDirtyFlag(stateFilePath(replayed.dataDir))).toBe(false);
  });

  it("clears the dirty flag on SIGTERM and continues the chain from blocks.log on restart", async () => {
    const dir = await tempDir();
    const opts = { dataDir: `${dir}/data`, configDir: `${dir}/config`, blockIntervalMs: 20 };
    const first = await startNodeosSim(opts);
    await first.process.waitForLine(/Received block .* #10 @/);
    const before = await headOf(first.httpUrl);
    const id = (
      (await (
        await fetch(`${first.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: before }) })
      ).json()) as { id: string }
    ).id;
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    expect(first.process.stderrLines.at(-1)).toMatch(/nodeos successfully exiting$/);
    expect(await readDirtyFlag(stateFilePath(first.dataDir))).toBe(false);

    const second = await startNodeosSim(opts);
    expect(await headOf(second.httpUrl)).toBeGreaterThanOrEqual(before);
    const again = (await (
      await fetch(`${second.httpUrl}/v1/chain/get_block`, { method: "POST", body: JSON.stringify({ block_num_or_id: before }) })
    ).json()) as { id: string };
    expect(again.id).toBe(id);
    await second.process.waitForLine(/Received block/);
    await second.stop();
  });

  it("waits NODEOS_SIM_TERM_DELAY_MS after SIGTERM before exiting", async () => {
    const sim = await startNodeosSim({ termDelayMs: 1500, blockIntervalMs: 50 });
    const t0 = Date.now();
    sim.kill("SIGTERM");
    await sim.process.waitForLine(/received SIGTERM, shutting down/);
    const exit = await sim.exited;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it("ignores the first NODEOS_SIM_IGNORE_TERMS terminations", async () => {
    const sim = await startNodeosSim({ ignoreTerms: 2, blockIntervalMs: 50 });
    sim.kill("SIGTERM");
    await sim.process.waitForLine(/not shutting down yet \(1\/2\)/);
    sim.kill("SIGTERM");
    await sim.process.waitForLine(/not shutting down yet \(2\/2\)/);
    expect(sim.process.exitResult).toBeUndefined();
    // Still serving after two TERMs.
    expect(await headOf(sim.httpUrl)).toBeGreaterThan(0);
    sim.kill("SIGTERM");
    expect(await sim.exited).toEqual({ code: 0, signal: null });
  });
});
