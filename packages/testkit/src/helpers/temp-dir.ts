import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCleanup } from "./cleanup.js";

/** A fresh temp dir, removed when the current test (or, outside a test, the file) finishes. */
export async function tempDir(prefix = "manageos-testkit-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  registerCleanup(
    () => rm(dir, { recursive: true, force: true }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
  return dir;
}
