import { open } from "node:fs/promises";
import { join } from "node:path";

/** The error line nodeos prints before exiting 2. */
export const DIRTY_LINE = "database dirty flag set";

/** nodeos' exit code for a dirty database. */
export const DIRTY_EXIT_CODE = 2;

/** Reads chainbase's dirty flag (byte 8 of state/shared_memory.bin) without starting nodeos; false when absent. */
export async function isStateDirty(dataDir: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(join(dataDir, "state", "shared_memory.bin"), "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    const header = Buffer.alloc(9);
    const { bytesRead } = await handle.read(header, 0, 9, 0);
    return bytesRead === 9 && header[8] !== 0;
  } finally {
    await handle.close();
  }
}
