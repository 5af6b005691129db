import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** A block on which one finalizer key voted more than once (from two instances, or two processes of one). */
export interface DoubleVote {
  readonly blockNum: number;
  readonly finalizerKey: string;
  readonly finalizer: string;
  readonly instances: readonly string[];
}

/** Counts over a cluster's vote ledger. */
export interface VoteSummary {
  readonly votes: number;
  readonly votesByInstance: Readonly<Record<string, number>>;
  readonly doubleVotes: readonly DoubleVote[];
}

function votesDir(clusterDir: string, num?: number): string {
  return num === undefined ? join(clusterDir, "votes") : join(clusterDir, "votes", String(num));
}

// Entries are `<tag>.<instance>`: the tag names the key so that two votes with one key sit side by side.
function keyTag(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** Records that `instance` voted on block `num` with `key`: an exclusive create, so a second voter leaves a second entry. */
export async function recordVote(clusterDir: string, num: number, instance: string, finalizer: string, key: string): Promise<void> {
  const dir = votesDir(clusterDir, num);
  await mkdir(dir, { recursive: true });
  const body = JSON.stringify({ instance, finalizer, key, pid: process.pid, timeMs: Date.now() });
  for (const name of [`${keyTag(key)}.${instance}`, `${keyTag(key)}.${instance}.${process.pid}`]) {
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

/** The keys that voted on block `num` so far. */
export async function votersOf(clusterDir: string, num: number): Promise<Set<string>> {
  let names: string[];
  try {
    names = await readdir(votesDir(clusterDir, num));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Set();
    throw error;
  }
  return new Set(names.map((n) => n.slice(0, 16)));
}

/** True when `key` is among the tags that voted. */
export function hasVoted(tags: ReadonlySet<string>, key: string): boolean {
  return tags.has(keyTag(key));
}

/** Reads every vote of a cluster dir. */
export async function readVotes(clusterDir: string): Promise<VoteSummary> {
  let blocks: string[];
  try {
    blocks = await readdir(votesDir(clusterDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    blocks = [];
  }
  let votes = 0;
  const votesByInstance: Record<string, number> = {};
  const doubleVotes: DoubleVote[] = [];
  for (const num of blocks
    .map(Number)
    .filter(Number.isInteger)
    .sort((a, b) => a - b)) {
    const byTag = new Map<string, string[]>();
    for (const name of (await readdir(votesDir(clusterDir, num))).sort()) {
      const tag = name.slice(0, 16);
      byTag.set(tag, [...(byTag.get(tag) ?? []), name]);
    }
    for (const names of byTag.values()) {
      for (const name of names) {
        const instance = name.slice(17).replace(/\.\d+$/, "");
        votesByInstance[instance] = (votesByInstance[instance] ?? 0) + 1;
        votes++;
      }
      if (names.length < 2) continue;
      const v = await entryOf(join(votesDir(clusterDir, num), names[0]!));
      doubleVotes.push({
        blockNum: num,
        finalizerKey: String(v.key),
        finalizer: String(v.finalizer),
        instances: names.map((n) => n.slice(17)),
      });
    }
  }
  return { votes, votesByInstance, doubleVotes };
}

// An entry being written reads empty for an instant: its key is then unknown, not an error.
async function entryOf(path: string): Promise<{ key?: string; finalizer?: string }> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as { key?: string; finalizer?: string };
  } catch {
    return {};
  }
}
