import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { atomicWriteJson, type Logger } from "@manageos/core";
import type { Clock } from "../process/clock.js";
import { type TerminateOptions, terminate } from "../process/terminate.js";

/** What manageos remembers of the nodeos it started, so that a later manageos finds it after a SIGKILL. */
interface PidRecord {
  readonly pid: number;
  /** The process' start time in clock ticks since boot (/proc/<pid>/stat field 22): a reused pid has another. */
  readonly startTicks: string | null;
  readonly dataDir: string;
}

/** `<config-dir>/nodeos.pid`: manageos owns the config dir, and the data dir is swapped by restores. */
export function pidFileOf(configDir: string): string {
  return join(configDir, "nodeos.pid");
}

/** The start time of a running process, or null when it is gone (or /proc cannot say). */
export async function startTicksOf(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Remembers the nodeos just started. */
export async function recordNodeosPid(file: string, pid: number, dataDir: string): Promise<void> {
  await atomicWriteJson(file, { pid, startTicks: await startTicksOf(pid), dataDir } satisfies PidRecord);
}

/** Forgets it once it exited. */
export async function clearNodeosPid(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Before the first start: a nodeos an earlier manageos started on this data dir and left running (that manageos was
 * killed) is stopped as any stop would (SIGTERM, repeated, SIGKILL to its group after `killAfter`), and said so.
 * A pid reused by another process (another start time) is left alone. Answers what was done.
 */
export async function stopOrphanNodeos(
  file: string,
  dataDir: string,
  opts: TerminateOptions,
  deps: { logger: Logger; clock: Clock },
): Promise<{ stopped: false } | { stopped: true; pid: number; killed: boolean }> {
  let record: PidRecord;
  try {
    record = JSON.parse(await readFile(file, "utf8")) as PidRecord;
  } catch {
    return { stopped: false };
  }
  const ticks = await startTicksOf(record.pid);
  if (ticks === null || record.dataDir !== dataDir || (record.startTicks !== null && ticks !== record.startTicks)) {
    await clearNodeosPid(file);
    return { stopped: false };
  }
  deps.logger.warn(
    { pid: record.pid, dataDir },
    "a nodeos an earlier manageos started on this data dir still runs: stopping it before starting ours",
  );
  // Gone when /proc no longer has it, or has another process under that pid.
  const gone = (async () => {
    while ((await startTicksOf(record.pid)) === ticks) await new Promise((resolve) => setTimeout(resolve, 100));
    return { exitCode: undefined, signal: undefined };
  })();
  const outcome = await terminate(record.pid, gone, opts, deps);
  await clearNodeosPid(file);
  deps.logger.warn({ pid: record.pid, killed: outcome.killed, termsSent: outcome.termsSent }, "the earlier nodeos stopped");
  return { stopped: true, pid: record.pid, killed: outcome.killed };
}
