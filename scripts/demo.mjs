// npm start: builds what is not built yet, then runs the eos app in block-producer mode against
// nodeos-sim and blocksigner-sim, with file storage under ./.manageos/demo. Ctrl-C stops it all.
// DEMO_DIR, DEMO_API_PORT, DEMO_PROXY_PORT and DEMO_NODE_PORT move it elsewhere; the commands it
// prints then name the API address.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
const apps = ["eos", "bos", "eos-mindreader", "bos-mindreader"].map((a) => join(root, "apps", a, "dist/index.js"));
if (process.argv.includes("--build") || !apps.every(existsSync) || !existsSync(join(root, "packages/testkit/dist/nodeos-sim.js"))) {
  console.log("building (first run only)...");
  const build = spawnSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: root, env, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const { BLOCKSIGNER_SIM_BIN, NODEOS_SIM_BIN, createCluster } = await import(join(root, "packages/testkit/dist/index.js"));

const dir = process.env.DEMO_DIR ?? join(root, ".manageos", "demo");
const apiPort = process.env.DEMO_API_PORT ?? "8080";
const proxyPort = process.env.DEMO_PROXY_PORT ?? "9999";
const nodePort = process.env.DEMO_NODE_PORT ?? "8888";
await mkdir(dir, { recursive: true });

// A simulated schedule of three producers, ours among them, with the real chain's 500 ms blocks.
const clusterDir = join(dir, "cluster");
if (!existsSync(join(clusterDir, "cluster.json"))) {
  await createCluster(clusterDir, { producers: ["demo.bp", "other.bpa", "other.bpb"], roundLength: 12, blockIntervalMs: 500 });
}

const portFile = join(dir, "blocksigner.port");
await rm(portFile, { force: true });
// The simulators and the app run in process groups of their own: Ctrl-C in the terminal signals this
// script's group only, and the one signal forwarded below is all manageos gets (a second would mean
// "kill the node now").
const signer = spawn(process.execPath, [BLOCKSIGNER_SIM_BIN, "--port", "0", "--port-file", portFile], { stdio: "ignore", detached: true });
let app;
const forward = (signal) => {
  if (app !== undefined) return void app.kill(signal);
  signer.kill();
  process.exit(1);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, forward);
let signerPort;
for (let i = 0; i < 200 && signerPort === undefined; i++) {
  signerPort = await readFile(portFile, "utf8").then(
    (t) => (/^\d+$/.test(t.trim()) ? t.trim() : undefined),
    () => undefined,
  );
  if (signerPort === undefined) await new Promise((r) => setTimeout(r, 50));
}
if (signerPort === undefined) {
  signer.kill();
  console.error("blocksigner-sim did not start");
  process.exit(1);
}

const config = {
  hostname: hostname(),
  stateDir: join(dir, "state"),
  api: { listen: `127.0.0.1:${apiPort}` },
  proxy: { listen: `127.0.0.1:${proxyPort}` },
  storage: { url: `file://${join(dir, "storage")}` },
  node: {
    binary: NODEOS_SIM_BIN,
    dataDir: join(dir, "data"),
    configDir: join(dir, "config"),
    httpAddress: `127.0.0.1:${nodePort}`,
    env: { NODEOS_SIM_CLUSTER_DIR: clusterDir, NODEOS_SIM_INSTANCE: "demo-1" },
  },
  bp: { enabled: true, producerName: "demo.bp", producerHostname: hostname(), blocksigner: `http://127.0.0.1:${signerPort}` },
};
const file = join(dir, "manager.yaml");
await writeFile(file, JSON.stringify(config, null, 2));

const bin = "node apps/eos/dist/index.js";
// The client's default API address is the default port's.
const exportApi = apiPort === "8080" ? "" : `\n  export MANAGEOS_API=http://127.0.0.1:${apiPort}`;
console.log(`
manageos demo: the eos app supervising a simulated nodeos that produces as demo.bp
  (nodeos starts paused; production resumes once a rotation, about 24 s, shows no other node of ours)
  operator API  http://127.0.0.1:${apiPort}   (status, jobs, /metrics, /healthz)
  public proxy  http://127.0.0.1:${proxyPort}   (opens once the node is synced)
  config        ${file}

Try, in another terminal (a producer is paused at the end of its round before a backup):${exportApi}
  ${bin} status
  curl -s http://127.0.0.1:${proxyPort}/v1/chain/get_info
  ${bin} pause-production && ${bin} backup && ${bin} backups
  ${bin} resume-production

Ctrl-C stops manageos, which stops nodeos cleanly.
`);
app = spawn(process.execPath, [apps[0], "run", "--config", file], { cwd: root, env, stdio: "inherit", detached: true });
app.on("exit", (code, signal) => {
  signer.kill();
  process.exit(code ?? (signal ? 1 : 0));
});
