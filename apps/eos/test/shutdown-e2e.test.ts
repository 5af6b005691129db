import { isAlive, readDirtyFlag, startManageos, stateFilePath } from "@manageos/testkit";
import { describe, expect, it } from "vitest";
import { until } from "./support.js";

// The node's pid once it runs and answers its API (so that it has its signal handlers in place).
function nodePid(api: string): Promise<number> {
  return until("the node to run and answer", async () => {
    const status = (await (await fetch(`${api}/v1/manageos/status`)).json()) as { node: { pid: number | null }; head: unknown };
    return status.node.pid !== null && status.head !== null ? status.node.pid : undefined;
  });
}

describe("manageos shutdown", () => {
  it("exits non-zero and says so when nodeos ignores TERM and has to be killed", async () => {
    const m = await startManageos({
      config: {
        node: { env: { NODEOS_SIM_BLOCK_INTERVAL_MS: "50", NODEOS_SIM_IGNORE_TERMS: "1000" } },
        superviser: { termRetryInterval: "300ms", killAfter: "1500ms" },
      },
    });
    const pid = await nodePid(m.api);
    const exit = await m.stop();
    expect(exit.code).toBe(1);
    expect(isAlive(pid)).toBe(false);
    expect(m.process.stdoutLines.join("\n")).toMatch(/"level":"error".*SIGKILL|SIGKILL.*"level":"error"/);
    // A killed nodeos leaves its dirty flag set: the next start has to recover.
    expect(await readDirtyFlag(stateFilePath(`${m.dir}/data`))).toBe(true);
  });

  it("a second signal kills nodeos and exits at once instead of waiting out a slow shutdown", async () => {
    const m = await startManageos({
      config: {
        node: { env: { NODEOS_SIM_BLOCK_INTERVAL_MS: "50", NODEOS_SIM_TERM_DELAY_MS: "60000" } },
        superviser: { termRetryInterval: "10s", killAfter: "5m" },
      },
    });
    const pid = await nodePid(m.api);
    const started = Date.now();
    m.process.kill("SIGTERM");
    await m.process.waitForLine(/shutting down/, { stream: "stdout" });
    m.process.kill("SIGINT");
    const exit = await m.process.exited;
    expect(exit.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    await until("the node to be gone", async () => (isAlive(pid) ? undefined : true), 2_000, 20);
  });
});
