import { describe, expect, it } from "vitest";
import { startNodeosSim } from "../src/index.js";

const KEY = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const STAMP = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}";

describe("nodeos-sim log layouts", () => {
  it("prints leap's layout: `nodeos` thread, full receive stats", async () => {
    const sim = await startNodeosSim({ blockIntervalMs: 20 });
    const line = await sim.process.waitForLine(/Received block/);
    expect(line).toMatch(
      new RegExp(
        `^info  ${STAMP} nodeos {4}producer_plugin\\.cpp:741 {7}on_incoming_block {4}\\] Received block [0-9a-f]{16}\\.\\.\\. #\\d+ @ ${STAMP} signed by eosio \\[trxs: 0, lib: \\d+, confirmed: 0, net: 0, cpu: 100, elapsed: \\d+, time: \\d+, latency: \\d+ ms\\]$`,
      ),
    );
    await sim.stop();
  });

  it("prints EOSIO 1.x's layout: `thread-0`, `conf:`; and produced blocks in both", async () => {
    const legacy = await startNodeosSim({ blockIntervalMs: 20, logLayout: "legacy", producerName: "eosio", signatureProvider: KEY });
    const produced = await legacy.process.waitForLine(/Produced block/);
    expect(produced).toMatch(
      new RegExp(
        `^info  ${STAMP} thread-0  producer_plugin\\.cpp:\\d+ +produce_block +\\] Produced block [0-9a-f]{16}\\.\\.\\. #\\d+ @ ${STAMP} signed by eosio \\[trxs: 0, lib: \\d+, confirmed: 0\\]$`,
      ),
    );
    await legacy.process.waitForLine(/Received block|Produced block/);
    await legacy.stop();
    const received = await startNodeosSim({ blockIntervalMs: 20, logLayout: "legacy" });
    const line = await received.process.waitForLine(/Received block/);
    expect(line).toMatch(
      / thread-0 .*\] Received block [0-9a-f]{16}\.\.\. #\d+ @ \S+ signed by eosio \[trxs: 0, lib: \d+, conf: 0, latency: \d+ ms\]$/,
    );
    await received.stop();
  });

  it("prefixes syslog priorities when NODEOS_SIM_SYSLOG is set", async () => {
    const sim = await startNodeosSim({ blockIntervalMs: 20, syslog: true });
    expect(await sim.process.waitForLine(/Received block/)).toMatch(/^<6>info {2}/);
    sim.kill("SIGKILL");
    await sim.exited;
    const dirty = await startNodeosSim({ dataDir: sim.dataDir, configDir: sim.configDir, syslog: true, waitFor: "spawn" });
    expect((await dirty.exited).code).toBe(2);
    expect(dirty.process.stderrLines).toContainEqual(expect.stringMatching(/^<3>error .*\] database dirty flag set/));
    expect(dirty.process.stderrLines.every((l) => /^<[3467]>/.test(l))).toBe(true);
  });
});

describe("nodeos-sim burst", () => {
  it("prints NODEOS_SIM_BURST_LINES fc lines on both pipes after startup, then writes the done file", async () => {
    const { tempDir } = await import("../src/index.js");
    const { readFile } = await import("node:fs/promises");
    const done = `${await tempDir("nodeos-sim-burst-")}/done.json`;
    const sim = await startNodeosSim({
      env: {
        NODEOS_SIM_BURST_LINES: "2000",
        NODEOS_SIM_BURST_STREAM: "both",
        NODEOS_SIM_BURST_LINE_BYTES: "200",
        NODEOS_SIM_BURST_DONE_FILE: done,
      },
    });
    await sim.process.waitForLine(/burst stderr line 2000 /);
    await sim.process.waitForLine(/burst stdout line 2000 /, { stream: "stdout" });
    const burst = (name: string, lines: string[]) => lines.filter((l) => l.includes(`] burst ${name} line `));
    expect(burst("stderr", sim.process.stderrLines)).toHaveLength(2000);
    expect(burst("stdout", sim.process.stdoutLines)).toHaveLength(2000);
    const first = burst("stderr", sim.process.stderrLines)[0] ?? "";
    expect(first).toMatch(
      new RegExp(`^info  ${STAMP} net-0 {5}net_plugin\\.cpp:3456 {11}operator\\(\\) {11}\\] burst stderr line 1 \\.+$`),
    );
    expect(first.length).toBe(199);
    const report = await until(async () => JSON.parse(await readFile(done, "utf8")) as Record<string, { lines: number; bytes: number }>);
    expect(report.stderr).toEqual({ lines: 2000, bytes: 400_000 });
    expect(report.stdout).toEqual({ lines: 2000, bytes: 400_000 });
    await sim.stop();
  });
});

// The value once probe stops throwing (the done file is written after the last line reached the pipe).
async function until<T>(probe: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await probe();
    } catch (error) {
      if (i > 600) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
