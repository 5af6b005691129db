import { mkdir, open, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

// chainbase's db_header id, "SOEcHDB2" read as a little-endian uint64.
const HEADER_ID = 0x3242444863454f53n;
const DIRTY_OFFSET = 8;
// chainbase reserves 1024 bytes for its header; the simulator keeps its own state right after.
const SIM_STATE_OFFSET = 1024;

/** What the simulator needs to resume a chain, kept in shared_memory.bin after chainbase's header. */
export interface SimState {
  readonly chainId: string;
  readonly genesisTimeMs: number;
  readonly headNum: number;
  readonly headId: string;
  readonly headTimeMs: number;
  readonly headProducer: string;
}

/** `<data-dir>/state/shared_memory.bin`. */
export function stateFilePath(dataDir: string): string {
  return join(dataDir, "state", "shared_memory.bin");
}

/** The dirty flag (byte 8), or undefined when there is no state file. */
export async function readDirtyFlag(path: string): Promise<boolean | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const buf = Buffer.alloc(1);
    const { bytesRead } = await handle.read(buf, 0, 1, DIRTY_OFFSET);
    return bytesRead === 1 && buf[0] !== 0;
  } finally {
    await handle.close();
  }
}

/** Creates a sparse state file of `sizeBytes` with chainbase's header, clean. */
export async function createStateFile(path: string, sizeBytes: number, state: SimState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "w");
  try {
    await handle.truncate(sizeBytes);
    const header = Buffer.alloc(16);
    header.writeBigUInt64LE(HEADER_ID, 0);
    await handle.write(header, 0, header.length, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await writeSimState(path, state);
}

/** Sets or clears the dirty flag durably. */
export async function setDirtyFlag(path: string, dirty: boolean): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.write(Buffer.from([dirty ? 1 : 0]), 0, 1, DIRTY_OFFSET);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes the simulator's state record (length-prefixed JSON after the header). */
export async function writeSimState(path: string, state: SimState): Promise<void> {
  const json = Buffer.from(JSON.stringify(state), "utf8");
  const record = Buffer.alloc(4 + json.length);
  record.writeUInt32LE(json.length, 0);
  json.copy(record, 4);
  const handle = await open(path, "r+");
  try {
    await handle.write(record, 0, record.length, SIM_STATE_OFFSET);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads the simulator's state record; undefined when absent or unreadable. */
export async function readSimState(path: string): Promise<SimState | undefined> {
  const handle = await open(path, "r").catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    const len = Buffer.alloc(4);
    await handle.read(len, 0, 4, SIM_STATE_OFFSET);
    const n = len.readUInt32LE(0);
    if (n === 0 || n > 1 << 20) return undefined;
    const json = Buffer.alloc(n);
    await handle.read(json, 0, n, SIM_STATE_OFFSET + 4);
    return parseSimState(JSON.parse(json.toString("utf8")) as unknown);
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

function parseSimState(value: unknown): SimState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.chainId !== "string" || typeof v.genesisTimeMs !== "number" || typeof v.headNum !== "number") return undefined;
  if (typeof v.headId !== "string" || typeof v.headTimeMs !== "number" || typeof v.headProducer !== "string") return undefined;
  return {
    chainId: v.chainId,
    genesisTimeMs: v.genesisTimeMs,
    headNum: v.headNum,
    headId: v.headId,
    headTimeMs: v.headTimeMs,
    headProducer: v.headProducer,
  };
}

/** Allocated and apparent size of the state file, for db_size/get. */
export async function stateFileSize(path: string): Promise<{ size: number; used: number }> {
  const s = await stat(path);
  return { size: s.size, used: s.blocks * 512 };
}
