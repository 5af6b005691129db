import { createHash } from "node:crypto";
import { chmod, mkdir, open, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

// The data dir behind test/fixtures/backup-v1: a store written by a manageos of manifest format 1 (before packs and
// sparse stretches), kept in the repository so every later version is tested on restoring it.

/** The chunk size the fixture was written with. */
export const V1_CHUNK = 64 * 1024;
export const V1_CHAIN = "v1-chain";
/** The mtime of every file of the data dir. */
export const V1_MTIME = new Date("2025-05-06T07:08:09Z");

/** `length` bytes that depend on `seed` only: sha256 of seed and counter, back to back. */
export function seededBytes(seed: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i * 32 < length; i++) blocks.push(createHash("sha256").update(`${seed}:${i}`).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

/** path -> [mode, content]; the sparse state file is written apart. */
const FILES: Record<string, [number, Buffer | string]> = {
  "blocks/blocks.log": [0o644, seededBytes("log", 2 * V1_CHUNK + 5000)],
  "blocks/blocks.index": [0o644, seededBytes("index", 800)],
  "protocol_features/BUILTIN-PREACTIVATE.json": [0o640, '{"protocol_feature_type":"builtin"}\n'],
  "config.ini": [0o600, "plugin = eosio::chain_api_plugin\n"],
  "empty.txt": [0o644, ""],
};

/** Size of state/shared_memory.bin, a hole but for two small regions. */
export const V1_STATE_SIZE = 16 * V1_CHUNK;
export const V1_STATE_REGIONS = [100, 9 * V1_CHUNK + 300] as const;

/** Writes the fixture's data dir into `dir` (which must not hold it yet). */
export async function writeV1Data(dir: string): Promise<void> {
  for (const [path, [mode, content]] of Object.entries(FILES)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
    await chmod(join(dir, path), mode);
  }
  await mkdir(join(dir, "snapshots"), { recursive: true });
  await mkdir(join(dir, "state"), { recursive: true });
  const state = await open(join(dir, "state", "shared_memory.bin"), "w");
  try {
    await state.truncate(V1_STATE_SIZE);
    for (const offset of V1_STATE_REGIONS) await state.write(seededBytes(`state:${offset}`, 700), 0, 700, offset);
  } finally {
    await state.close();
  }
  for (const path of [...Object.keys(FILES), "state/shared_memory.bin"]) await utimes(join(dir, path), V1_MTIME, V1_MTIME);
}
