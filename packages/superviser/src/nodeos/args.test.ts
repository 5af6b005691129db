import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeosArgs } from "./args.js";
import { isStateDirty } from "./dirty-flag.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "nodeos-args-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("nodeosArgs", () => {
  it("passes genesis only while there are no blocks and no snapshot", async () => {
    const base = { configDir: "/c", dataDir: dir, genesisJson: "/g.json", extraArgs: ["--x"] };
    expect(await nodeosArgs(base)).toEqual(["--config-dir", "/c", "--data-dir", dir, "--genesis-json", "/g.json", "--x"]);
    expect(await nodeosArgs({ ...base, start: { snapshot: "/s.bin" } })).toEqual([
      "--config-dir",
      "/c",
      "--data-dir",
      dir,
      "--snapshot",
      "/s.bin",
      "--x",
    ]);
    await mkdir(join(dir, "blocks"));
    await writeFile(join(dir, "blocks", "blocks.log"), "x");
    expect(await nodeosArgs({ ...base, start: { replay: "hard" } })).toEqual([
      "--config-dir",
      "/c",
      "--data-dir",
      dir,
      "--hard-replay-blockchain",
      "--x",
    ]);
    expect(await nodeosArgs({ ...base, start: { replay: "soft" } })).toContain("--replay-blockchain");
  });
});

describe("isStateDirty", () => {
  it("reads byte 8 of state/shared_memory.bin", async () => {
    expect(await isStateDirty(dir)).toBe(false);
    await mkdir(join(dir, "state"));
    const header = Buffer.alloc(64);
    await writeFile(join(dir, "state", "shared_memory.bin"), header);
    expect(await isStateDirty(dir)).toBe(false);
    const handle = await open(join(dir, "state", "shared_memory.bin"), "r+");
    await handle.write(Buffer.from([1]), 0, 1, 8);
    await handle.close();
    expect(await isStateDirty(dir)).toBe(true);
  });
});
