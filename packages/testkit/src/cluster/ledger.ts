import { mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { readVotes, type VoteSummary } from "./votes.js";

const MISSED = "missed";

/** One produced slot as the ledger saw it. */
export interface LedgerSlot {
  readonly blockNum: number;
  readonly producer: string;
  readonly instances: readonly string[];
}

/**
 * Counts over a cluster's ledger: produced slots, missed slots of simulated producers, doubly produced slots, and
 * (Spring nodes under Savanna) finalizer votes, with the blocks a key voted on twice.
 */
export interface LedgerSummary extends VoteSummary {
  readonly produced: number;
  readonly missed: number;
  readonly double: number;
  readonly byInstance: Readonly<Record<string, number>>;
  readonly doubleSlots: readonly number[];
  readonly missedSlots: readonly number[];
  readonly slots: readonly LedgerSlot[];
}

function slotDir(clusterDir: string, num: number): string {
  return join(clusterDir, "ledger", String(num));
}

/** Records that `instance` produced block `num`: an exclusive create, so two producers leave two entries. */
export async function recordProduced(clusterDir: string, num: number, instance: string, producer: string): Promise<void> {
  const dir = slotDir(clusterDir, num);
  await mkdir(dir, { recursive: true });
  const body = JSON.stringify({ instance, producer, pid: process.pid, timeMs: Date.now() });
  for (const name of [instance, `${instance}.${process.pid}`]) {
    try {
      const handle = await open(join(dir, name), "wx");
      await handle.writeFile(body);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** Instances that produced block `num` so far. */
export async function producersOf(clusterDir: string, num: number): Promise<string[]> {
  try {
    return (await readdir(slotDir(clusterDir, num))).filter((n) => n !== MISSED);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Marks block `num` as missed by its producer (kept even if a late producer shows up; production wins). */
export async function recordMissed(clusterDir: string, num: number, producer: string): Promise<void> {
  const dir = slotDir(clusterDir, num);
  await mkdir(dir, { recursive: true });
  try {
    const handle = await open(join(dir, MISSED), "wx");
    await handle.writeFile(JSON.stringify({ producer, timeMs: Date.now() }));
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

/** Reads the whole ledger of a cluster dir. */
export async function readLedger(clusterDir: string): Promise<LedgerSummary> {
  let names: string[];
  try {
    names = await readdir(join(clusterDir, "ledger"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    names = [];
  }
  const nums = names
    .map(Number)
    .filter(Number.isInteger)
    .sort((a, b) => a - b);
  const slots: LedgerSlot[] = [];
  const byInstance: Record<string, number> = {};
  const doubleSlots: number[] = [];
  const missedSlots: number[] = [];
  for (const num of nums) {
    const entries = await readdir(slotDir(clusterDir, num));
    const instances = entries.filter((n) => n !== MISSED).sort();
    if (instances.length === 0) {
      if (entries.includes(MISSED)) missedSlots.push(num);
      continue;
    }
    const producer = await producerNameOf(join(slotDir(clusterDir, num), instances[0]!));
    slots.push({ blockNum: num, producer, instances });
    for (const i of instances) byInstance[baseInstance(i)] = (byInstance[baseInstance(i)] ?? 0) + 1;
    if (instances.length > 1) doubleSlots.push(num);
  }
  return {
    produced: slots.length,
    missed: missedSlots.length,
    double: doubleSlots.length,
    byInstance,
    doubleSlots,
    missedSlots,
    slots,
    ...(await readVotes(clusterDir)),
  };
}

// A second process under the same instance name records `<instance>.<pid>`.
function baseInstance(entry: string): string {
  return entry.replace(/\.\d+$/, "");
}

async function producerNameOf(path: string): Promise<string> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as { producer?: unknown };
    return typeof v.producer === "string" ? v.producer : "";
  } catch {
    return "";
  }
}
