import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort } from "@manageos/testkit";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const APPS = ["bos", "bos-mindreader", "eos", "eos-mindreader"];
// Metrics the alert rules and the dashboard use that no package declares yet; see docs/metrics.md.

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// Runs a command to its end and returns its exit code and output, whatever the code.
function sh(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

// A tool the tests need must be installed: its absence fails the test with the way to get it.
async function requireTool(name: string): Promise<string> {
  const found = await sh("sh", ["-c", `command -v ${name}`]);
  if (found.code !== 0) throw new Error(`${name} is not installed; run .ci/system-deps.sh (as root) to install the test dependencies`);
  return found.stdout.trim();
}

// Replaces Cloud Build's substitutions in a step script, as the service does before running it.
function substitute(script: string, values: Record<string, string>): string {
  return script.replace(/\$\$|\$([A-Z_]+)|\$\{([A-Z_]+)\}/g, (match, a?: string, b?: string) => {
    if (match === "$$") return "$";
    const key = (a ?? b) as string;
    if (!(key in values)) throw new Error(`cloudbuild.yaml uses $${key}, which the test does not substitute`);
    return values[key] as string;
  });
}

// The KEY=value settings of deploy/build.<app>.env.
async function envFile(app: string): Promise<Record<string, string>> {
  const text = await readFile(join(ROOT, "deploy", `build.${app}.env`), "utf8");
  const entries = text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const);
  return Object.fromEntries(entries);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-deploy-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("deploy/local.sh and deploy/submit.sh", () => {
  it("refuses an unknown app, listing the valid ones", async () => {
    const { code, stderr } = await sh("bash", ["deploy/local.sh", "build/nope"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("unknown app 'nope'");
    for (const app of APPS) expect(stderr).toContain(app);
  });

  it("refuses a branch that is not build/<app>", async () => {
    const { code, stderr } = await sh("bash", ["deploy/local.sh", "master", "--no-image"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/not a build branch: expected build\/<app>/);
  });

  it("says so when no container builder is installed", async () => {
    // A PATH with bash, git and coreutils but none of docker, podman, buildah.
    const bin = join(dir, "bin-no-builder");
    await mkdir(bin, { recursive: true });
    for (const tool of ["bash", "git", "dirname", "tr", "sed", "mktemp", "cat", "rm", "tar", "mkdir"]) {
      const path = await requireTool(tool);
      await sh("ln", ["-sf", path, join(bin, tool)]);
    }
    const { code, stderr } = await sh(join(bin, "bash"), ["deploy/local.sh", "build/eos"], { env: { PATH: bin } });
    expect(code).not.toBe(0);
    expect(stderr).toContain("no container builder found");
    const named = await sh(join(bin, "bash"), ["deploy/local.sh", "build/eos", "--builder", "podman"], { env: { PATH: bin } });
    expect(named.code).not.toBe(0);
    expect(named.stderr).toContain("builder 'podman' is not installed");
  });

  it("refuses an override of a key the Dockerfile does not know", async () => {
    const { code, stderr } = await sh("bash", ["deploy/local.sh", "build/eos", "--no-image", "--set", "NODEOS_IMAG=x"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("unknown key 'NODEOS_IMAG'");
  });

  it("prints the remote build command with --dry-run", async () => {
    const { code, stdout } = await sh("bash", ["deploy/submit.sh", "build/eos-mindreader", "--dry-run", "--project", "demo"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^gcloud builds submit /);
    expect(stdout).toContain("cloudbuild.yaml");
    expect(stdout).toMatch(/BRANCH_NAME=build\/eos-mindreader/);
    expect(stdout).toContain("--project demo");
    const bad = await sh("bash", ["deploy/submit.sh", "build/nope", "--dry-run"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("valid apps");
  });
});

describe("cloudbuild.yaml", () => {
  interface Step {
    id: string;
    name: string;
    entrypoint?: string;
    args: string[];
  }
  let steps: Step[];
  let fakeBin: string;
  beforeAll(async () => {
    const config = parse(await readFile(join(ROOT, "cloudbuild.yaml"), "utf8")) as { steps: Step[] };
    steps = config.steps;
    // A docker that records its arguments instead of building.
    fakeBin = join(dir, "fake-docker");
    await mkdir(fakeBin, { recursive: true });
    await writeFile(join(fakeBin, "docker"), '#!/bin/sh\nprintf "%s\\n" "$@" >> "$DOCKER_LOG"\necho "--" >> "$DOCKER_LOG"\n');
    await chmod(join(fakeBin, "docker"), 0o755);
  });

  // Runs every step as Cloud Build would for a push of BRANCH, in a copy of /workspace.
  async function runSteps(branch: string) {
    const workspace = join(dir, `ws-${branch.replace(/\W/g, "-")}`);
    const log = join(workspace, "docker.log");
    await mkdir(workspace, { recursive: true });
    await writeFile(log, "");
    const values = { BRANCH_NAME: branch, SHORT_SHA: "abc1234", PROJECT_ID: "demo-project" };
    for (const step of steps) {
      expect(step.entrypoint).toBe("bash");
      const script = substitute(step.args[1] as string, values).replaceAll("/workspace/", `${workspace}/`);
      const result = await sh("bash", ["-c", script], { env: { PATH: `${fakeBin}:${process.env.PATH}`, DOCKER_LOG: log } });
      if (result.code !== 0) return { failedStep: step.id, stderr: result.stderr, calls: [] as string[][] };
    }
    const calls = (await readFile(log, "utf8"))
      .split("--\n")
      .filter((call) => call !== "")
      .map((call) => call.trimEnd().split("\n"));
    return { failedStep: undefined, stderr: "", calls };
  }

  it("has a settings file for every app, and the Dockerfile the steps build", async () => {
    const files = (await readdir(join(ROOT, "deploy"))).filter((name) => /^build\..+\.env$/.test(name)).sort();
    expect(files).toEqual(APPS.map((app) => `build.${app}.env`).sort());
    const appDirs = (await readdir(join(ROOT, "apps"))).sort();
    expect(appDirs).toEqual(APPS);
    expect(steps.map((step) => step.id)).toEqual(["resolve", "build", "push"]);
  });

  it.each(APPS)("builds and pushes build/%s with that app's settings, tagged with the commit", async (app) => {
    const env = await envFile(app);
    expect(env.APP).toBe(app);
    const { failedStep, stderr, calls } = await runSteps(`build/${app}`);
    expect(failedStep, stderr).toBeUndefined();
    const [build, push] = calls;
    const ref = `gcr.io/demo-project/manageos-${app}:abc1234`;
    expect(build?.slice(0, 5)).toEqual(["build", "-f", "./deploy/Dockerfile", "-t", ref]);
    for (const key of ["APP", "NODE_IMAGE", "NODEOS_IMAGE", "NODEOS_PATH", "FLAVOUR", "MINDREADER"]) {
      expect(build).toContain(`${key}=${env[key]}`);
    }
    expect(build).toContain("REVISION=abc1234");
    expect(build?.at(-1)).toBe(".");
    expect(push).toEqual(["push", ref]);
    expect(calls).toHaveLength(2);
  });

  it("fails a push to an unknown app with the list of valid apps, before building", async () => {
    const { failedStep, stderr, calls } = await runSteps("build/nope");
    expect(failedStep).toBe("resolve");
    expect(stderr).toContain("unknown app 'nope'");
    for (const app of APPS) expect(stderr).toContain(app);
    expect(calls).toEqual([]);
  });

  it("is triggered by build/<app> branches only", async () => {
    const trigger = parse(await readFile(join(ROOT, "deploy/cloudbuild-trigger.yaml"), "utf8")) as {
      filename: string;
      github: { push: { branch: string } };
    };
    expect(trigger.filename).toBe("cloudbuild.yaml");
    const pattern = new RegExp(trigger.github.push.branch);
    expect(pattern.test("build/eos-mindreader")).toBe(true);
    expect(pattern.test("master")).toBe(false);
    expect(pattern.test("feature/build/x")).toBe(false);
  });
});

describe("YAML, alert rules and the dashboard", () => {
  it("passes yamllint with the repository's .yamllint", async () => {
    await requireTool("yamllint");
    const { code, stdout, stderr } = await sh("yamllint", ["-s", "-c", ".yamllint", "cloudbuild.yaml", ".yamllint", "deploy"]);
    expect(stdout + stderr).toBe("");
    expect(code).toBe(0);
  });

  it("has alert rules promtool accepts, covering what an operator must hear about", async () => {
    await requireTool("promtool");
    const { code, stdout, stderr } = await sh("promtool", ["check", "rules", "deploy/prometheus/alerts.yaml"]);
    expect(stderr).toBe("");
    expect(stdout).toContain("SUCCESS");
    expect(code).toBe(0);
    const rules = parse(await readFile(join(ROOT, "deploy/prometheus/alerts.yaml"), "utf8")) as {
      groups: { rules: { alert: string }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    for (const name of [
      "ManageosNodeDown",
      "ManageosDirtyRecovery",
      "ManageosNotSynced",
      "ManageosNodeCrashLoop",
      "ManageosBackupTooOld",
      "ManageosMindreaderBacklog",
      "ManageosDoubleProductionGuardTripped",
    ]) {
      expect(alerts).toContain(name);
    }
  });
});

describe("the alert rules' unit tests", () => {
  const TESTS = ["deploy/prometheus/alerts.test.yaml", "deploy/prometheus/alerts-backups.test.yaml"];

  it("pass promtool test rules", async () => {
    await requireTool("promtool");
    const { code, stdout, stderr } = await sh("promtool", ["test", "rules", ...TESTS]);
    expect(stdout + stderr).not.toContain("FAILED");
    expect(code, stdout + stderr).toBe(0);
  });

  it("show every alert firing when it should and silent when it should", async () => {
    const rules = parse(await readFile(join(ROOT, "deploy/prometheus/alerts.yaml"), "utf8")) as {
      groups: { rules: { alert: string }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    const fires = new Set<string>();
    const silent = new Set<string>();
    for (const file of TESTS) {
      const suite = parse(await readFile(join(ROOT, file), "utf8")) as {
        rule_files: string[];
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      };
      expect(suite.rule_files).toEqual(["alerts.yaml"]);
      for (const check of suite.tests.flatMap((test) => test.alert_rule_test ?? [])) {
        ((check.exp_alerts ?? []).length > 0 ? fires : silent).add(check.alertname);
      }
    }
    expect(alerts.filter((name) => !fires.has(name))).toEqual([]);
    expect(alerts.filter((name) => !silent.has(name))).toEqual([]);
  });
});

describe("a running manageos", () => {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let metrics = "";
  const state = () => join(dir, "live", "state");

  beforeAll(async () => {
    const live = join(dir, "live");
    await mkdir(live, { recursive: true });
    const port = await freePort();
    const config = [
      `stateDir: ${state()}`,
      "api: {listen: 127.0.0.1:0}",
      "proxy: {listen: 127.0.0.1:0}",
      "node:",
      `  binary: ${join(ROOT, "packages/testkit/dist/nodeos-sim.js")}`,
      '  env: {NODEOS_SIM_BLOCK_INTERVAL_MS: "50"}',
      "  blockInterval: 50ms",
      `  httpAddress: 127.0.0.1:${port}`,
      `  dataDir: ${join(live, "data")}`,
      `  configDir: ${join(live, "config")}`,
      `storage: {url: "file://${join(live, "storage")}"}`,
      "log: {level: warn}",
      "",
    ].join("\n");
    await writeFile(join(live, "manager.yaml"), config);
    const started = spawn(process.execPath, [join(ROOT, "apps/eos/dist/index.js"), "run", "--config", join(live, "manager.yaml")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = started;
    let stderr = "";
    started.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    exited = new Promise((resolve) => started.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    let api: string | undefined;
    while (Date.now() < deadline && started.exitCode === null) {
      try {
        api = (JSON.parse(await readFile(join(state(), "endpoints.json"), "utf8")) as { api: string }).api;
        const response = await fetch(`${api}/metrics`);
        metrics = await response.text();
        if (/^manageos_chain_head_block_number\{[^}]*\} [1-9]/m.test(metrics)) break;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!/^manageos_chain_head_block_number\{[^}]*\} [1-9]/m.test(metrics)) {
      throw new Error(`manageos did not report a head block within 30s (api ${api}); stderr: ${stderr.slice(-2000)}`);
    }
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("serves /metrics that promtool check metrics accepts", async () => {
    await requireTool("promtool");
    const { code, stdout, stderr } = await sh("promtool", ["check", "metrics"], { input: metrics });
    const problems = (stdout + stderr).split("\n").filter((line) => line.trim() !== "");
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  });

  it("exports every metric the dashboard and the alert rules use, and documents it", async () => {
    const declared = new Set<string>();
    for (const match of metrics.matchAll(/^# TYPE (manageos_[a-z0-9_]+) (\w+)$/gm)) {
      const [, name, type] = match as unknown as [string, string, string];
      declared.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) declared.add(name + suffix);
    }
    // Metrics of other variants and of idle components are declared in the sources.
    const sources = await sh("grep", [
      "-rhoE",
      '"manageos_[a-z0-9_]+"',
      "packages/core/src",
      "packages/superviser/src",
      "packages/mindreader/src",
    ]);
    for (const name of sources.stdout.split("\n")) {
      const bare = name.replaceAll('"', "");
      if (bare) for (const suffix of ["", "_bucket", "_sum", "_count"]) declared.add(bare + suffix);
    }
    const used = new Set<string>();
    for (const file of ["deploy/grafana/manageos.json", "deploy/prometheus/alerts.yaml"]) {
      for (const match of (await readFile(join(ROOT, file), "utf8")).matchAll(/manageos_[a-z0-9_]+/g)) used.add(match[0]);
    }
    const missing = [...used].filter((name) => !declared.has(name));
    expect(missing).toEqual([]);
    const metricsDoc = await readFile(join(ROOT, "docs/metrics.md"), "utf8");
    const documented = (name: string) => metricsDoc.includes(name) || metricsDoc.includes(name.replace(/_(bucket|sum|count)$/, ""));
    expect([...used].filter((name) => !documented(name))).toEqual([]);
  });
});
