import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isManageosError, JobQueue } from "../src/index.js";

const logger = pino({ level: "silent" });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-jobs-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("job queue", () => {
  it("runs one job at a time and refuses a second with the running job's id", async () => {
    const queue = new JobQueue({ stateDir: dir }, { logger });
    const hold = gate();
    const first = queue.submit("backup", {}, async (ctx) => {
      ctx.progress({ current: 1, total: 4, unit: "bytes", message: "uploading" });
      await hold.promise;
      return { uploaded: 4 };
    });
    const error = (() => {
      try {
        queue.submit("restore", {}, async () => undefined);
      } catch (e) {
        return e;
      }
    })();
    expect(isManageosError(error) && error.code).toBe("JOB_ERR_BUSY");
    expect((error as { details: { runningJob: string } }).details.runningJob).toBe(first.id);
    expect(queue.get(first.id).progress).toMatchObject({ current: 1, total: 4, unit: "bytes", message: "uploading" });
    hold.open();
    const done = await queue.wait(first.id);
    expect(done.state).toBe("succeeded");
    expect(done.result).toEqual({ uploaded: 4 });
    await queue.close();
  });

  it("queues behind the running job when asked, in order", async () => {
    const queue = new JobQueue({ stateDir: dir }, { logger });
    const order: string[] = [];
    const hold = gate();
    const a = queue.submit("a", {}, async () => {
      await hold.promise;
      order.push("a");
    });
    const b = queue.submit("b", {}, async () => order.push("b"), { queue: true });
    const c = queue.submit("c", {}, async () => order.push("c"), { queue: true });
    expect(queue.get(b.id).state).toBe("queued");
    hold.open();
    await queue.wait(c.id);
    expect(order).toEqual(["a", "b", "c"]);
    expect(queue.list().map((j) => j.id)).toEqual([c.id, b.id, a.id]);
    await queue.close();
  });

  it("records a failure with its code, and cancels through the job's signal", async () => {
    const queue = new JobQueue({ stateDir: dir }, { logger });
    const failing = queue.submit("restore", {}, async () => {
      throw Object.assign(new Error("chunk ab12 is corrupt"), { name: "ManageosError", code: "BKP_ERR_CHUNK_CORRUPT" });
    });
    const failed = await queue.wait(failing.id);
    expect(failed.state).toBe("failed");
    expect(failed.error).toEqual({ code: "BKP_ERR_CHUNK_CORRUPT", message: "chunk ab12 is corrupt" });

    const long = queue.submit(
      "backup",
      {},
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    );
    const queued = queue.submit("resume", {}, async () => undefined, { queue: true });
    queue.cancel(queued.id);
    expect(queue.get(queued.id).state).toBe("cancelled");
    queue.cancel(long.id);
    expect((await queue.wait(long.id)).state).toBe("cancelled");
    await queue.close();
  });

  it("persists jobs and marks the one interrupted by a restart as failed instead of dropping it", async () => {
    const first = new JobQueue({ stateDir: dir }, { logger });
    const done = first.submit("reload", {}, async () => "ok");
    await first.wait(done.id);
    const stuck = first.submit("backup", {}, () => new Promise(() => {}), { queue: true });
    // The running state is on disk, as it would be before a crash; the first queue writes nothing after this.
    await first.persisted();
    const persisted = JSON.parse(await readFile(join(dir, "jobs.json"), "utf8")) as { jobs: Array<{ id: string; state: string }> };
    expect(persisted.jobs.find((j) => j.id === stuck.id)?.state).toBe("running");

    const second = new JobQueue({ stateDir: dir }, { logger });
    await second.load();
    expect(second.get(done.id)).toMatchObject({ state: "succeeded", result: "ok" });
    expect(second.get(stuck.id)).toMatchObject({ state: "failed", error: { code: "JOB_ERR_INTERRUPTED" } });
    await second.close();
  });

  it("streams updates to subscribers", async () => {
    const queue = new JobQueue({ stateDir: dir }, { logger });
    const hold = gate();
    const job = queue.submit("snapshot", {}, async (ctx) => {
      await hold.promise;
      ctx.progress({ current: 5, total: 10, message: "half" });
      ctx.log("uploaded");
    });
    const seen: string[] = [];
    const off = queue.subscribe(job.id, (record) => seen.push(`${record.state}:${record.progress.message}`));
    hold.open();
    await queue.wait(job.id);
    off();
    expect(seen).toContain("running:half");
    expect(seen.at(-1)).toBe("succeeded:half");
    expect(queue.get(job.id).log.map((l) => l.message)).toEqual(["uploaded"]);
    await queue.close();
  });
});
