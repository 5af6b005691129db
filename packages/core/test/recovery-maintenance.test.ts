import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Backups, JobQueue, NodeBackupService, NodeWatch, openStore, Operator, ProxyGate, Recovery } from "../src/index.js";
import { FakeNode } from "./backups-fake-node.js";

const logger = pino({ level: "silent" });

let work: string;
let operator: Operator | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-recovery-maint-"));
});
afterEach(async () => {
  await operator?.shutdown();
  operator = undefined;
  await rm(work, { recursive: true, force: true });
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("dirty recovery after a manageos start in maintenance", () => {
  it("recovers a node SIGKILLed after resume, as it would after a normal boot", async () => {
    const stateDir = join(work, "state");
    await mkdir(stateDir, { recursive: true });
    // The node was left in maintenance before manageos restarted.
    await writeFile(join(stateDir, "operator.json"), JSON.stringify({ maintenance: true, resumeProduction: false }));
    const node = new FakeNode(join(work, "data"));
    const store = openStore(`file://${join(work, "store")}`);
    const gate = new ProxyGate();
    const queue = new JobQueue({ stateDir }, { logger });
    const watch = new NodeWatch({ stateDir, syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 }, { chain: node, gate, logger });
    const service = new NodeBackupService(
      { tag: "manual", snapshotsKeepLast: 2, bpMode: false },
      { backups: new Backups({ chunkSize: 64 * 1024 }, { store, logger }), store, chain: node, gate, node: watch, logger },
    );
    const recovery = new Recovery(
      { bootstrap: "genesis", dirtyPolicy: ["replay", "fail"], aliveTimeout: 10_000 },
      { chain: node, service, store, gate, jobs: queue, node: watch, logger },
    );
    operator = new Operator(
      { app: "test", stateDir, syncedMaxLag: 2_000, blockInterval: 20, syncTimeout: 10_000 },
      { chain: node, queue, node: watch, gate, logger, backups: service, recovery },
    );
    await operator.start();
    expect(node.state).toBe("stopped");

    const resumed = await operator.queue.wait(operator.resume().id);
    expect(resumed.state).toBe("succeeded");
    expect(gate.isOpen).toBe(true);

    node.kill();
    await until(
      () => operator?.queue.list().some((j) => j.kind === "recover" && j.state === "succeeded") === true,
      "the recovery job succeeds",
    );
    expect(operator.queue.list().find((j) => j.kind === "recover")?.result).toMatchObject({ recovered: true, step: "replay" });
    expect(node.starts.at(-1)).toEqual({ replay: "hard" });
    expect(node.state).toBe("running");
    await until(() => gate.isOpen, "the proxy reopens once synced");
  });
});
