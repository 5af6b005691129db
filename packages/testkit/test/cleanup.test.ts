import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const VITEST = fileURLToPath(new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url));

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("tempDir cleanup", () => {
  it("removes dirs made in beforeAll once the file's tests and afterAll hooks are done, and dirs made in a test after it", async () => {
    dir = await mkdtemp(join(tmpdir(), "manageos-cleanup-report-"));
    const report = join(dir, "report.json");
    execFileSync(process.execPath, [VITEST, "run", "--config", "test/fixtures/cleanup/vitest.config.ts"], {
      cwd: PACKAGE,
      env: { ...process.env, CLEANUP_REPORT: report },
      stdio: "pipe",
    });
    const { early, late } = JSON.parse(await readFile(report, "utf8")) as { early: string; late: string };
    expect(await readFile(`${report}.after-all`, "utf8")).toBe("true");
    expect(existsSync(early)).toBe(false);
    expect(existsSync(late)).toBe(false);
  });
});
