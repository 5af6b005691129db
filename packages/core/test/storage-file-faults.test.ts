import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { statusOf } from "../src/index.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, "support", "store-child.mjs");
const DIST = join(here, "..", "dist", "index.js");
const NOBODY = 65534;

// Mount namespaces of our own (tmpfs, read-only remounts) need unshare and a kernel that allows them.
const canUnshare = spawnSync("unshare", ["-rm", "true"]).status === 0;
const isRoot = process.getuid?.() === 0;

let work: string;

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package (npx tsup) before its tests`);
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "manageos-stofault-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

// Runs the child through `command` (a shell line ending in the child's own arguments) and parses its report.
async function child(file: string, args: string[], options: { uid?: number; gid?: number } = {}): Promise<Record<string, string | number>> {
  const { stdout } = await run(file, args, { timeout: 30_000, ...options });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, string | number>;
}

describe("file:// store faults", () => {
  it("retries transient errors (descriptors exhausted for a moment) as storage.retries says", async () => {
    const root = join(work, "store");
    const report = await child("sh", ["-c", 'ulimit -n 256 && exec "$0" "$@"', process.execPath, CHILD, "fds", root]);
    expect(report.held).toBeGreaterThan(0);
    expect(report.put).toBe("ok");
    expect(report.read).toBe("written while descriptors ran out");
    expect(await readFile(join(root, "a", "b"), "utf8")).toBe("written while descriptors ran out");
    // Without retries the same fault is reported once, as transient trouble, not as a generic I/O error.
    expect(report.once).toMatch(/^STO_ERR_UNREACHABLE: .*after 1 attempt\(s\): EMFILE/);
  });

  it.skipIf(!canUnshare)("reports a full filesystem and a read-only one with their own codes, leaving no partial write", async () => {
    await mkdir(join(work, "full"));
    await mkdir(join(work, "ro"));
    const script = [
      "set -e",
      'mount -t tmpfs -o size=256k tmpfs "$1/full"',
      'mkdir -p "$1/full/store/.tmp"',
      'mount -t tmpfs tmpfs "$1/ro"',
      'mkdir -p "$1/ro/store/k"',
      'echo v > "$1/ro/store/k/x"',
      'mount -o remount,ro "$1/ro"',
      'exec "$2" "$3" mounts "$1"',
    ].join("; ");
    const report = await child("unshare", ["-rm", "sh", "-c", script, "sh", work, process.execPath, CHILD]);
    expect(report.fullPut).toMatch(/^STO_ERR_NO_SPACE: no space left for file:\/\/.*\/big/);
    expect(report.fullTemps).toBe(0);
    expect(report.roPut).toMatch(/^STO_ERR_READ_ONLY: .*read-only filesystem/);
    expect(report.roRead).toBe("v");
    expect(report.roDelete).toMatch(/^STO_ERR_READ_ONLY: /);
    expect(statusOf("STO_ERR_NO_SPACE")).toBe(507);
    expect(statusOf("STO_ERR_READ_ONLY")).toBe(500);
  });

  it.skipIf(!isRoot)("reports missing permissions (EACCES, EPERM) as STO_ERR_PERMISSION, not as an authentication failure", async () => {
    await chmod(work, 0o755);
    await mkdir(join(work, "own", "k"), { recursive: true, mode: 0o755 });
    await writeFile(join(work, "own", "k", "x"), "v\n");
    await mkdir(join(work, "sticky"));
    await chmod(join(work, "sticky"), 0o1777);
    await writeFile(join(work, "sticky", "x"), "root's");
    const report = await child(process.execPath, [CHILD, "user", work], { uid: NOBODY, gid: NOBODY });
    expect(report.put).toMatch(/^STO_ERR_PERMISSION: no permission on file:\/\/.*EACCES/);
    expect(report.read).toBe("v");
    expect(report.delete).toMatch(/^STO_ERR_PERMISSION: .*EACCES/);
    expect(report.stickyDelete).toMatch(/^STO_ERR_PERMISSION: .*EPERM/);
    expect(statusOf("STO_ERR_PERMISSION")).toBe(500);
  });
});
