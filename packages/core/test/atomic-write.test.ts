import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { atomicWrite, atomicWriteJson, isManageosError, readJsonFile } from "../src/index.js";

const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-atomic-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("atomicWrite", () => {
  it("never lets a reader see a half-written file while another process rewrites it", async () => {
    const path = join(dir, "state.json");
    const size = 4 * 1024 * 1024;
    await writeFile(path, "a".repeat(size));
    // A separate process rewrites the file 40 times, alternating two full contents.
    const script = `import {atomicWrite} from ${JSON.stringify(DIST)};
      for (let i = 0; i < 40; i++) await atomicWrite(${JSON.stringify(path)}, (i % 2 ? "a" : "b").repeat(${size}));`;
    const writer = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" });
    const done = new Promise<number | null>((resolve) => writer.on("exit", resolve));
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    let reads = 0;
    while (!finished) {
      const text = await readFile(path, "latin1");
      expect(text.length).toBe(size);
      const first = text[0];
      expect(first === "a" || first === "b").toBe(true);
      expect(text.lastIndexOf(first === "a" ? "b" : "a")).toBe(-1);
      reads++;
    }
    expect(await done).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("leaves the old content and no temp file when the write fails", async () => {
    const target = join(dir, "is-a-directory");
    await mkdir(join(target, "child"), { recursive: true });
    const error = await atomicWrite(target, "new").catch((e: unknown) => e);
    expect(isManageosError(error) && error.code).toBe("CORE_ERR_ATOMIC_WRITE");
    expect(await readdir(dir)).toEqual(["is-a-directory"]);
    expect(await readdir(target)).toEqual(["child"]);
  });

  it("round-trips JSON state and reports a corrupt state file with its path", async () => {
    const path = join(dir, "jobs", "jobs.json");
    await atomicWriteJson(path, { jobs: [{ id: "j1" }] });
    expect(await readJsonFile(path)).toEqual({ jobs: [{ id: "j1" }] });
    expect(await readJsonFile(join(dir, "absent.json"))).toBeUndefined();
    await writeFile(path, '{"jobs": [');
    const error = await readJsonFile(path).catch((e: unknown) => e);
    expect(isManageosError(error) && error.code).toBe("CORE_ERR_JSON_FILE_CORRUPT");
    expect((error as Error).message).toContain(path);
  });
});
