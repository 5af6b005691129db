import { open } from "node:fs/promises";
import { join } from "node:path";

/** The error line nodeos prints before exiting 2. */
export const DIRTY_LINE = "database dirty flag set";

// EOSIO 2.1.0 and 2.2.0-rc1 print `Database dirty flag set`: matched regardless of case, as nodeos' own tests do.
const DIRTY_LINE_ANY_CASE = /database dirty flag set/i;

/** True when a nodeos line reports a dirty database, in any version's wording. */
export function isDirtyLine(text: string): boolean {
  return DIRTY_LINE_ANY_CASE.test(text);
}

/** nodeos' exit code for a dirty database. */
export const DIRTY_EXIT_CODE = 2;

/** nodeos' `OTHER_FAIL` (-2) as a parent sees it; leap 3.2/4.0 could exit so on a dirty database. */
export const OTHER_FAIL_EXIT_CODE = 254;

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
