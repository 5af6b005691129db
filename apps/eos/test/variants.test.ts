import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const APPS = ["eos", "bos", "eos-mindreader", "bos-mindreader"] as const;
const binOf = (app: string) => fileURLToPath(new URL(`../../${app}/dist/index.js`, import.meta.url));

// Runs a built app binary and returns its exit code and output, whatever the code.
async function cli(app: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [binOf(app), ...args], {
      env: { PATH: process.env.PATH, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-apps-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(APPS)("manageos-%s binary", (app) => {
  it("prints usage with --help, naming the binary and the run command", async () => {
    const { code, stdout } = await cli(app, ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: manageos-${app}`);
    expect(stdout).toMatch(/^\s+run \[options\]/m);
    const runHelp = await cli(app, ["run", "--help"]);
    expect(runHelp.stdout).toContain("--config <file>");
    expect(runHelp.stdout).toContain("--bp-mode");
  });

  it("prints its version", async () => {
    const { code, stdout } = await cli(app, ["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(new RegExp(`^manageos-${app} \\d+\\.\\d+\\.\\d+$`));
  });

  it("carries its variant's defaults into the validated configuration", async () => {
    const { code, stdout } = await cli(app, ["run", "--print-config", "--bp-mode"]);
    expect(code).toBe(0);
    const config = JSON.parse(stdout) as { app: { flavour: string }; mindreader: { enabled: boolean }; bp: { enabled: boolean } };
    expect(config.app.flavour).toBe(app.startsWith("bos") ? "bos" : "eos");
    expect(config.mindreader.enabled).toBe(app.endsWith("mindreader"));
    expect(config.bp.enabled).toBe(true);
  });

  it("refuses node.kind geth, which it does not run, as invalid configuration with exit 78", async () => {
    const { code, stdout, stderr } = await cli(app, ["run", "--print-config"], { MANAGEOS_NODE__KIND: "geth" });
    expect(code).toBe(78);
    expect(stdout).toBe("");
    expect(stderr).toContain(`invalid configuration:\n  node.kind: geth is not run by manageos-${app}, which runs nodeos only`);
  });
});

describe("configuration errors stop startup", () => {
  it("lists every problem as path: message and exits 78", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "proxy:\n  listen: nowhere\nnode:\n  roundLength: zero\nwhat: 1\n");
    const { code, stdout, stderr } = await cli("eos", ["run", "--config", file], { MANAGEOS_PROXY__RETRY_AFTER: "later" });
    expect(code).toBe(78);
    expect(stdout).toBe("");
    expect(stderr).toContain("invalid configuration");
    expect(stderr).toMatch(/proxy\.listen: .*host:port/);
    expect(stderr).toMatch(/proxy\.retryAfter: .*duration/);
    expect(stderr).toMatch(/node\.roundLength: /);
    expect(stderr).toContain("what: unknown key");
  });

  it("takes the config file from MANAGEOS_CONFIG and says when it cannot be read", async () => {
    const { code, stderr } = await cli("bos", ["run"], { MANAGEOS_CONFIG: join(dir, "absent.yaml") });
    expect(code).toBe(78);
    expect(stderr).toContain(`cannot read config file ${join(dir, "absent.yaml")}`);
  });

  it("refuses unknown options with a usage error", async () => {
    const { code, stderr } = await cli("eos", ["run", "--no-such-flag"]);
    expect(code).toBe(64);
    expect(stderr).toContain("unknown option '--no-such-flag'");
  });
});
