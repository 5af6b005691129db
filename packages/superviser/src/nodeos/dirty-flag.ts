import { open } from "node:fs/promises";
import { join } from "node:path";

/** The error line nodeos prints before exiting 2. */
export const DIRTY_LINE = "database dirty flag set";

// EOSIO 2.1.0 and 2.2.0-rc1 print `Database dirty flag set`: the two spellings differ in their first letter only.
const DIRTY_LINE_TAIL = DIRTY_LINE.slice(1);

/**
 * True when a nodeos line reports a dirty database, in any version's wording. Every stderr line is tested: one
 * substring search (a case-blind regexp costs twice as much), then the letter before it.
 */
export function isDirtyLine(text: string): boolean {
  for (let at = text.indexOf(DIRTY_LINE_TAIL); at !== -1; at = text.indexOf(DIRTY_LINE_TAIL, at + 1)) {
    if (at > 0 && (text.charCodeAt(at - 1) | 0x20) === 100) return true;
  }
  return false;
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
