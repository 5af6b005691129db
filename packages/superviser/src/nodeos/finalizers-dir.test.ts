import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { finalizersDirOf } from "./finalizers-dir.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-findir-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("finalizersDirOf", () => {
  const base = { dataDir: "/data", extraArgs: [] as string[], configKeys: {} as Record<string, string | readonly string[]> };

  it("defaults to <data-dir>/finalizers, as nodeos does", async () => {
    expect(await finalizersDirOf(base)).toBe("/data/finalizers");
  });

  it("reads finalizers-dir from the template, relative to the data dir or absolute", async () => {
    const template = join(dir, "config.ini");
    await writeFile(template, "plugin = eosio::chain_plugin\nfinalizers-dir = votes/fin\n");
    expect(await finalizersDirOf({ ...base, configTemplate: template })).toBe("/data/votes/fin");
    await writeFile(template, "finalizers-dir = /elsewhere/fin\n");
    expect(await finalizersDirOf({ ...base, configTemplate: template })).toBe("/elsewhere/fin");
  });

  it("lets config keys win over the template, and --finalizers-dir over both", async () => {
    const template = join(dir, "config.ini");
    await writeFile(template, "finalizers-dir = /from/template\n");
    const keyed = { ...base, configTemplate: template, configKeys: { "finalizers-dir": "/from/keys" } };
    expect(await finalizersDirOf(keyed)).toBe("/from/keys");
    expect(await finalizersDirOf({ ...keyed, extraArgs: ["--finalizers-dir", "/from/args"] })).toBe("/from/args");
    expect(await finalizersDirOf({ ...keyed, extraArgs: ["--finalizers-dir=rel"] })).toBe("/data/rel");
  });
});
