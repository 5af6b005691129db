import { mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { TestkitErrors } from "../errors.js";
import type { SimState } from "./state-file.js";

// The magic number nodeos' snapshot files start with.
const MAGIC = 0x30510550;
const VERSION = 6;

/** What a simulated snapshot records: what the state file keeps, enough to start a node at its head. */
export type SnapshotContent = SimState;

/** Writes `<data>/snapshots/snapshot-<head id>.bin` (temp then rename, as nodeos does) and returns its path. */
export async function writeSnapshot(snapshotsDir: string, content: SnapshotContent): Promise<string> {
  await mkdir(snapshotsDir, { recursive: true });
  const path = join(snapshotsDir, `snapshot-${content.headId}.bin`);
  const temp = `${path}.pending`;
  const json = Buffer.from(JSON.stringify(content), "utf8");
  const head = Buffer.alloc(8);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(VERSION, 4);
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(Buffer.concat([head, json]));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  return path;
}

/** Reads a snapshot written by writeSnapshot. */
export async function readSnapshot(path: string): Promise<SnapshotContent> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw TestkitErrors.snapshotCorrupt(path, (error as Error).message, { cause: error });
  }
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) throw TestkitErrors.snapshotCorrupt(path, "bad magic");
  try {
    const v = JSON.parse(bytes.subarray(8).toString("utf8")) as SnapshotContent;
    if (typeof v.headNum !== "number" || typeof v.headId !== "string") throw new Error("missing head");
    return v;
  } catch (error) {
    throw TestkitErrors.snapshotCorrupt(path, (error as Error).message, { cause: error });
  }
}
