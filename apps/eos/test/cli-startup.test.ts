import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What the commands that do not run the daemon must start without (each costs tens of ms to load, the whole ~0.8 s).
const DAEMON_ONLY = ["fastify", "@fastify/", "etcd3", "@google-cloud/storage", "@kubernetes/client-node", "prom-client", "pino", "execa"];
const CONFIG = ["zod", "yaml"];
const APPS = ["eos", "bos", "eos-mindreader", "bos-mindreader"] as const;
const RECORDER = pathToFileURL(fileURLToPath(new URL("fixtures/record-modules.mjs", import.meta.url))).href;
const execute = promisify(execFile);

let dir: string;
let api: Server;
let apiUrl: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-cli-startup-"));
  // Stands in for the operator API: the status command's modules are the same whatever the daemon answers.
  api = createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(
      JSON.stringify({
        app: "eos",
        version: "0.1.0",
        hostname: "h",
        state: "running",
        head: null,
        proxy: { open: true },
        job: null,
        health: { ready: true },
      }),
    );
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

// Runs a built app with the module recorder; its exit code, stdout, and the packages (node_modules names and
// workspace packages as `workspace:<name>`) it loaded.
async function loads(app: string, args: string[]): Promise<{ code: number; stdout: string; packages: Set<string>; urls: string[] }> {
  const file = join(dir, `${app}-${args.join("_").replace(/[^\w-]/g, "")}.txt`);
  const bin = fileURLToPath(new URL(`../../${app}/dist/index.js`, import.meta.url));
  let code = 0;
  let stdout = "";
  try {
    ({ stdout } = await execute(process.execPath, ["--import", RECORDER, bin, ...args], {
      env: { PATH: process.env.PATH, RECORD_MODULES_TO: file },
    }));
  } catch (error) {
    ({ code, stdout } = error as { code: number; stdout: string });
  }
  const urls = (await readFile(file, "utf8")).split("\n").filter(Boolean);
  const packages = new Set<string>();
  for (const url of urls) {
    const npm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (npm?.[1] !== undefined) packages.add(npm[1]);
    const workspace = /\/packages\/([^/]+)\/dist\//.exec(url);
    if (workspace?.[1] !== undefined && npm === null) packages.add(`workspace:${workspace[1]}`);
  }
  return { code, stdout, packages, urls };
}

const among = (packages: Set<string>, names: readonly string[]) =>
  [...packages].filter((p) => names.some((n) => (n.endsWith("/") ? p.startsWith(n) : p === n)));

describe.each(APPS)("manageos-%s start-up", (app) => {
  for (const args of [["--version"], ["--help"]]) {
    it(`${args.join(" ")} loads the CLI alone: no daemon, node superviser or config schema`, async () => {
      const run = await loads(app, args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`manageos-${app}`);
      // The recorder saw the CLI entry itself, so an empty list below means something.
      expect(run.urls.some((url) => url.endsWith("/packages/core/dist/cli.js"))).toBe(true);
      expect(among(run.packages, [...DAEMON_ONLY, ...CONFIG])).toEqual([]);
      expect([...run.packages].filter((p) => p.startsWith("workspace:") && p !== "workspace:core")).toEqual([]);
    });
  }

  it("status talks to the API with the client alone", async () => {
    const run = await loads(app, ["status", "--api", apiUrl]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("node:       running");
    expect(among(run.packages, [...DAEMON_ONLY, ...CONFIG])).toEqual([]);
    expect([...run.packages].filter((p) => p.startsWith("workspace:") && p !== "workspace:core")).toEqual([]);
  });

  it("run --print-config loads the config schema but not the daemon", async () => {
    const run = await loads(app, ["run", "--print-config"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty("app.name", app);
    expect(among(run.packages, CONFIG).sort()).toEqual(["yaml", "zod"]);
    expect(among(run.packages, DAEMON_ONLY)).toEqual([]);
    expect([...run.packages].filter((p) => p.startsWith("workspace:") && p !== "workspace:core")).toEqual([]);
  });
});
