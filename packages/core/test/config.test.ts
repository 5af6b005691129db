import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isManageosError, loadConfig, parseDuration } from "../src/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamlFile(text: string): Promise<string> {
  const path = join(dir, "manager.yaml");
  await writeFile(path, text);
  return path;
}

async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isManageosError(error)) throw new Error(`expected a ManageosError, got ${String(error)}`);
  expect(error.code).toBe("CORE_ERR_CONFIG_INVALID");
  return (error.details?.problems as string[]) ?? [];
}

describe("config precedence", () => {
  it("uses defaults when nothing is given", async () => {
    const config = await loadConfig();
    expect(config.api.listen).toBe("127.0.0.1:8080");
    expect(config.proxy.deny).toContain("/v1/producer/*");
    expect(config.superviser.maxLineLength).toBe(64 * 1024 * 1024);
    expect(config.node.blockInterval).toBe(500);
    expect(config.mindreader.catchUpBlockAge).toBe(12 * 3_600_000);
    expect(config.mindreader.writerThreads).toBeUndefined();
  });

  it("layers app defaults, then YAML, then environment, then flags, then --set", async () => {
    const file = await yamlFile("app:\n  flavour: bos\nproxy:\n  listen: 0.0.0.0:1000\n  retryAfter: 7s\nnode:\n  roundLength: 6\n");
    const config = await loadConfig({
      defaults: { app: { flavour: "eos", name: "eos" }, proxy: { listen: "0.0.0.0:1" }, node: { roundLength: 3 } },
      file,
      env: { MANAGEOS_PROXY__LISTEN: "0.0.0.0:2000", MANAGEOS_NODE__BLOCK_INTERVAL: "50ms", HOME: "/root" },
      flags: { proxy: { listen: "0.0.0.0:3000" }, bp: { enabled: true } },
      set: ["proxy.syncedMaxLag=2m"],
    });
    expect(config.app).toEqual({ name: "eos", flavour: "bos" });
    expect(config.node.roundLength).toBe(6);
    expect(config.node.blockInterval).toBe(50);
    expect(config.proxy.listen).toBe("0.0.0.0:3000");
    expect(config.proxy.retryAfter).toBe(7000);
    expect(config.proxy.syncedMaxLag).toBe(120_000);
    expect(config.bp.enabled).toBe(true);
  });

  it("reads typed values from the environment", async () => {
    const config = await loadConfig({
      env: {
        MANAGEOS_BP__ENABLED: "true",
        MANAGEOS_NODE__ROUND_LENGTH: "12",
        MANAGEOS_NODE__EXTRA_ARGS: "[--foo, --bar]",
        MANAGEOS_MINDREADER__CATCH_UP_BLOCK_AGE: "30m",
        MANAGEOS_MINDREADER__WRITER_THREADS: "6",
        MANAGEOS_API: "http://ignored-by-config:8080",
        MANAGEOS_TOKEN: "client token, not config",
      },
    });
    expect(config.bp.enabled).toBe(true);
    expect(config.node.roundLength).toBe(12);
    expect(config.node.extraArgs).toEqual(["--foo", "--bar"]);
    expect(config.mindreader.catchUpBlockAge).toBe(1_800_000);
    expect(config.mindreader.writerThreads).toBe(6);
  });

  it("freezes the result", async () => {
    const config = await loadConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.proxy.deny)).toBe(true);
    expect(() => {
      (config.proxy as { listen: string }).listen = "x";
    }).toThrow(TypeError);
  });
});

describe("config validation", () => {
  it("lists every problem as path: message", async () => {
    const file = await yamlFile("proxy:\n  listen: nowhere\n  syncedMaxLag: soon\nnode:\n  roundLength: -1\n");
    const problems = await problemsOf(loadConfig({ file }));
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.startsWith("proxy.listen: "))).toMatch(/host:port/);
    expect(problems.find((p) => p.startsWith("proxy.syncedMaxLag: "))).toMatch(/"soon"/);
    expect(problems.some((p) => p.startsWith("node.roundLength: "))).toBe(true);
  });

  it("bounds the backup chunk size to what the engine accepts", async () => {
    const small = await problemsOf(loadConfig({ file: await yamlFile("storage:\n  chunkSize: 1KiB\n") }));
    expect(small).toEqual(["storage.chunkSize: at least 4KiB"]);
    const large = await problemsOf(loadConfig({ env: { MANAGEOS_STORAGE__CHUNK_SIZE: "2GiB" } }));
    expect(large).toEqual(["storage.chunkSize: at most 1GiB"]);
    expect((await loadConfig({ env: { MANAGEOS_STORAGE__CHUNK_SIZE: "4MiB" } })).storage.chunkSize).toBe(4 * 1024 * 1024);
  });

  it("names unknown keys, in files and in the environment", async () => {
    const file = await yamlFile("proxy:\n  lisen: 0.0.0.0:1\nbogus: 1\n");
    const problems = await problemsOf(loadConfig({ file, env: { MANAGEOS_API__TOKN: "x" } }));
    expect(problems.sort()).toEqual(["api.tokn: unknown key", "bogus: unknown key", "proxy.lisen: unknown key"]);
  });

  it("reports wrong types with the expected type", async () => {
    const file = await yamlFile("bp:\n  enabled: sometimes\nnode:\n  extraArgs: --foo\n");
    const problems = await problemsOf(loadConfig({ file }));
    expect(problems.find((p) => p.startsWith("bp.enabled: "))).toMatch(/boolean/);
    expect(problems.find((p) => p.startsWith("node.extraArgs: "))).toMatch(/array/);
  });

  it("refuses bad YAML with the file and the reason", async () => {
    const file = await yamlFile("proxy:\n  listen: [unclosed\n");
    const error = await loadConfig({ file }).catch((e: unknown) => e);
    expect(isManageosError(error) && error.code).toBe("CORE_ERR_CONFIG_YAML");
    expect((error as Error).message).toContain(file);
  });

  it("refuses duplicate YAML keys rather than keeping the last silently", async () => {
    const file = await yamlFile("proxy:\n  listen: 0.0.0.0:1\n  listen: 0.0.0.0:2\n");
    const error = await loadConfig({ file }).catch((e: unknown) => e);
    expect(isManageosError(error) && error.code).toBe("CORE_ERR_CONFIG_YAML");
  });

  it("refuses a YAML file that is not a mapping, and a missing file", async () => {
    const list = await yamlFile("- a\n- b\n");
    const notMapping = await loadConfig({ file: list }).catch((e: unknown) => e);
    expect(isManageosError(notMapping) && notMapping.code).toBe("CORE_ERR_CONFIG_YAML");
    const missing = await loadConfig({ file: join(dir, "absent.yaml") }).catch((e: unknown) => e);
    expect(isManageosError(missing) && missing.code).toBe("CORE_ERR_CONFIG_FILE_READ");
  });

  it("refuses a malformed --set", async () => {
    const problems = await problemsOf(loadConfig({ set: ["proxy.listen"] }));
    expect(problems[0]).toMatch(/^--set proxy.listen: expected path=value/);
  });
});

describe("durations", () => {
  it("parses units and refuses nonsense", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration("5 parsecs")).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
});
