import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@manageos/testkit";

// Builds images for real with buildah, offline: the Node and nodeos bases are made from this
// machine (deploy/testing/local-bases.sh) in a storage of our own, removed afterwards.
// Every app's image is built and run, one after another; each is removed once checked, since
// vfs storage keeps a full copy of every image.

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const APPS = ["eos", "bos", "eos-mindreader", "bos-mindreader"];
const BUILD_TIMEOUT = 20 * 60_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let env: NodeJS.ProcessEnv;

// Runs a command to its end and returns its exit code and output, whatever the code.
function sh(file: string, args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env, maxBuffer: 256 * 1024 * 1024, timeout: options.timeout ?? 120_000, killSignal: "SIGTERM" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

// Fails with the command's output when it did not succeed.
async function ok(file: string, args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<string> {
  const result = await sh(file, args, options);
  if (result.code !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.code}:\n${result.stderr.slice(-4000)}`);
  return result.stdout;
}

// What a command in the container prints, read from a file on a bind mount once it exited: with chroot isolation
// buildah relays the container's stdout from a goroutine it does not wait for before it exits (chroot/run_common.go),
// so under load a short command's output can be lost while its exit status is kept.
async function runInImage(ctr: string, command: string[], options: { timeout?: number } = {}): Promise<string> {
  const out = await mkdtemp(join(dir, "out-"));
  // Written by uid 1000 in the container.
  await chmod(out, 0o777);
  await ok(
    "buildah",
    ["run", "--user", "1000:1000", "--volume", `${out}:/out:rw`, ctr, "--", "sh", "-c", 'exec "$@" >/out/stdout', "sh", ...command],
    options,
  );
  return readFile(join(out, "stdout"), "utf8");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "manageos-image-"));
  await writeFile(join(dir, "storage.conf"), `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/graph"\nrunroot = "${dir}/run"\n`);
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: dir,
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    STORAGE_DRIVER: "vfs",
    BUILDAH_ISOLATION: "chroot",
    // One build per storage: no layer cache to fill, and vfs commits of big layers are slow.
    BUILDAH_LAYERS: "false",
    TURBO_TELEMETRY_DISABLED: "1",
  };
  const found = await sh("sh", ["-c", "command -v buildah"]);
  if (found.code !== 0) throw new Error("buildah is not installed; run .ci/system-deps.sh (as root) to install the test dependencies");
});

afterAll(async () => {
  if (!dir) return;
  await sh("buildah", ["rm", "--all"]);
  await sh("buildah", ["rmi", "--all", "--force"]);
  await rm(dir, { recursive: true, force: true });
});

describe("deploy/local.sh --no-image", () => {
  it(
    "builds the bundle of every app with turbo",
    async () => {
      // A copy of the sources sharing this checkout's installed node_modules, so that the builds
      // here never rewrite the dist/ other tests are running.
      const copy = join(dir, "src");
      const files = (await ok("git", ["ls-files", "-z", "-co", "--exclude-standard"])).split("\0").filter(Boolean);
      await mkdir(copy, { recursive: true });
      await ok("sh", [
        "-c",
        `git ls-files -z -co --exclude-standard | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\\0" "$f"; done' _ | tar --null -T - -cf - | tar -xf - -C '${copy}'`,
      ]);
      expect(files.length).toBeGreaterThan(50);
      await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
      for (const parent of ["packages", "apps"]) {
        for (const name of await readdir(join(ROOT, parent))) {
          const modules = join(ROOT, parent, name, "node_modules");
          const has = await sh("test", ["-d", modules]);
          if (has.code === 0) await symlink(modules, join(copy, parent, name, "node_modules"));
        }
      }
      for (const app of APPS) {
        const started = Date.now();
        const bundle = (
          await ok("bash", [join(copy, "deploy/local.sh"), `build/${app}`, "--no-image"], { cwd: copy, timeout: 300_000 })
        ).trim();
        expect(bundle).toBe(join(copy, "apps", app, "dist/index.js"));
        const version = await ok(process.execPath, [bundle, "--version"]);
        expect(version.trim()).toBe(`manageos-${app} 0.1.0`);
        console.log(`bundle of ${app}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }
    },
    20 * 60_000,
  );
});

let bases: Promise<string> | undefined;

// The Node and nodeos base images, made once from this machine for all four builds.
function localBases(): Promise<string> {
  bases ??= ok("bash", ["deploy/testing/local-bases.sh", "localhost/manageos-test-node:24", "localhost/manageos-test-nodeos:sim"], {
    timeout: BUILD_TIMEOUT,
  });
  return bases;
}

describe.each(APPS)("the %s image, built with buildah from local bases", (app) => {
  const ref = `localhost/manageos-${app}:test`;

  afterAll(async () => {
    await sh("buildah", ["rmi", "--force", ref]);
  });

  beforeAll(async () => {
    await localBases();
    const started = Date.now();
    const out = await ok(
      "bash",
      [
        "deploy/local.sh",
        `build/${app}`,
        "--builder",
        "buildah",
        "--tag",
        "test",
        "--set",
        "NODE_IMAGE=localhost/manageos-test-node:24",
        "--set",
        "NODEOS_IMAGE=localhost/manageos-test-nodeos:sim",
        "--set",
        "NODEOS_PATH=/usr/local/bin/nodeos",
      ],
      { timeout: BUILD_TIMEOUT },
    );
    expect(out.trim()).toBe(ref);
    console.log(`image build of ${app}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }, BUILD_TIMEOUT + 60_000);

  it("is configured to run manageos as a non-root user, with a health check and a clean stop", async () => {
    const inspect = JSON.parse(await ok("buildah", ["inspect", "--type", "image", ref])) as {
      Docker: {
        config: {
          User: string;
          Entrypoint: string[];
          Cmd: string[];
          Healthcheck?: { Test: string[] };
          StopSignal?: string;
          Labels: Record<string, string>;
        };
      };
    };
    const config = inspect.Docker.config;
    expect(config.User).toBe("1000:1000");
    expect(config.Entrypoint).toEqual(["node", "--max-semi-space-size=8", "/usr/local/bin/manageos"]);
    expect(config.Cmd).toEqual(["run", "--config", "/etc/manageos/manager.yaml"]);
    expect(config.Healthcheck?.Test.join(" ")).toContain("/healthz");
    expect(config.StopSignal).toBe("SIGTERM");
    expect(config.Labels["io.manageos.app"]).toBe(app);
  });

  it(
    "prints its version and runs nodeos from the image until told to stop",
    async () => {
      const ctr = (await ok("buildah", ["from", "--quiet", ref])).trim();
      try {
        const version = await runInImage(ctr, ["node", "/usr/local/bin/manageos", "--version"]);
        expect(version.trim()).toBe(`manageos-${app} 0.1.0`);
        const runtime = await runInImage(ctr, ["node", "--version"]);
        expect(runtime.trim()).toMatch(/^v24\./);
        console.log(`${app} image runs node ${runtime.trim()}`);
        const port = await freePort();
        const config = [
          "stateDir: /var/lib/manageos/state",
          "api: {listen: 127.0.0.1:0}",
          "proxy: {listen: 127.0.0.1:0}",
          "node:",
          '  env: {NODEOS_SIM_BLOCK_INTERVAL_MS: "50"}',
          "  blockInterval: 50ms",
          `  httpAddress: 127.0.0.1:${port}`,
          "log: {level: warn}",
          "",
        ].join("\n");
        await writeFile(join(dir, "manager.yaml"), config);
        await ok("buildah", ["copy", "--chmod", "0644", ctr, join(dir, "manager.yaml"), "/etc/manageos/manager.yaml"]);
        await ok("buildah", ["copy", "--chmod", "0644", ctr, join(ROOT, "deploy/testing/run-in-image.mjs"), "/tmp/run-in-image.mjs"]);
        const out = await runInImage(ctr, ["node", "/tmp/run-in-image.mjs"], { timeout: 120_000 });
        const report = JSON.parse(out.trim().split("\n").at(-1) as string) as {
          nodeBinary: string;
          firstHead: number;
          lastHead: number;
          metricsHead: number;
          exitCode: number | null;
          signal: string | null;
          nodeExited: boolean;
        };
        expect(report.nodeBinary).toBe("/usr/local/bin/nodeos");
        expect(report.lastHead).toBeGreaterThan(report.firstHead);
        expect(report.metricsHead).toBeGreaterThan(0);
        expect(report.exitCode).toBe(0);
        expect(report.nodeExited).toBe(true);
      } finally {
        await sh("buildah", ["rm", ctr]);
      }
    },
    5 * 60_000,
  );
});
