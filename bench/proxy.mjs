// Public proxy throughput and added latency, on what ships: the eos daemon as users run it (`manageos-eos run
// --config`, the built apps/eos/dist, the real logger) supervising nodeos-sim, its public port open because the node
// is synced. In the same run, with wrk: nodeos-sim directly, through the daemon's proxy, through nginx as a reverse
// proxy to the same nodeos-sim, and through bench/reference-proxy.mjs (the least a proxy built on node:http can do,
// to tell what Node's HTTP server costs per request). Shapes: small GETs at 32 and at 256 connections, 1 MiB answers,
// and clients that send `Connection: close`. Rounds alternate the order of the targets; each figure is the median of
// the rounds. Goal: the daemon's proxy at least 0.7x nginx's throughput in every shape.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, cpuSeconds, freePort, median, runToEnd, start, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const { NODEOS_SIM_BIN } = await import(join(root, "packages/testkit/dist/index.js"));
const APP = join(root, "apps/eos/dist/index.js");
const DURATION = process.env.BENCH_SECONDS ?? "5";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const GOAL = 0.7;
const LARGE_BYTES = 1024 * 1024;
// Idle keep-alive connections to the node that nginx keeps, as many as the daemon's proxy keeps.
const UPSTREAM_KEEPALIVE = 256;
const BASELINE = "nginx proxy";

const ALL_SHAPES = [
  { name: "GET get_info, 32 connections", path: "/v1/chain/get_info", connections: 32, headers: [] },
  { name: "GET get_info, 256 connections", path: "/v1/chain/get_info", connections: 256, headers: [] },
  { name: "1 MiB answers, 32 connections", path: "/v1/sim/large_body", connections: 32, headers: [] },
  { name: "Connection: close, 32 connections", path: "/v1/chain/get_info", connections: 32, headers: ["Connection: close"] },
];
// BENCH_SHAPES=close,1 MiB: only the shapes whose names contain one of these words. BENCH_PROFILE_DIR=dir: the
// daemon runs with --cpu-prof and leaves its profile there.
const only = process.env.BENCH_SHAPES?.split(",").map((word) => word.trim().toLowerCase());
const SHAPES = only === undefined ? ALL_SHAPES : ALL_SHAPES.filter((shape) => only.some((word) => shape.name.toLowerCase().includes(word)));

// wrk's summary: requests/s, the 50th and 99th latency percentiles in ms, socket errors.
async function wrk(url, shape) {
  const headers = shape.headers.flatMap((h) => ["-H", h]);
  const out = await runToEnd("wrk", ["-t1", `-c${shape.connections}`, `-d${DURATION}s`, "--latency", ...headers, url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const failed = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (failed) throw new Error(`${url}: ${failed[1]} error responses`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps, p50: ms(50), p99: ms(99), errors, requests };
}

async function until(what, probe, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// The environment without MANAGEOS_ variables: the daemon reads those as configuration.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("MANAGEOS_")));

try {
  const dir = await tempDir("manageos-bench-proxy-");
  const [nodePort, proxyPort, nginxPort] = [await freePort(), await freePort(), await freePort()];
  const upstream = `http://127.0.0.1:${nodePort}`;
  const config = {
    hostname: "bench-proxy",
    stateDir: join(dir, "state"),
    log: { level: "info", format: "json" },
    api: { listen: "127.0.0.1:0" },
    proxy: { listen: `127.0.0.1:${proxyPort}` },
    storage: { url: `file://${join(dir, "storage")}` },
    backup: { bootstrap: "genesis" },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(dir, "data"),
      configDir: join(dir, "config"),
      httpAddress: `127.0.0.1:${nodePort}`,
      blockInterval: "500ms",
      env: { NODEOS_SIM_LARGE_BODY_BYTES: String(LARGE_BYTES) },
    },
  };
  const file = join(dir, "manager.yaml");
  await writeFile(file, JSON.stringify(config));
  const daemon = start(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
      APP,
      "run",
      "--config",
      file,
    ],
    { env: cleanEnv, readyLine: /"manageos listening"/ },
  );
  const api = /"api":"(http:[^"]+)"/.exec(await daemon.ready)[1];
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  // The gate opens once the daemon sees the node synced.
  await until("the proxy gate open", async () => {
    const status = await (await fetch(`${api}/v1/manageos/status`)).json();
    return status.proxy?.open === true ? true : undefined;
  });
  await until("the proxy answering", async () => ((await fetch(`${proxyUrl}/v1/chain/get_info`)).ok ? true : undefined));

  await writeFile(
    join(dir, "nginx.conf"),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream node { server 127.0.0.1:${nodePort}; keepalive ${UPSTREAM_KEEPALIVE}; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://node; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const nginx = start("nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"]);
  await until("nginx", async () => ((await fetch(`http://127.0.0.1:${nginxPort}/v1/chain/get_info`)).ok ? true : undefined), 10_000);

  const reference = start(process.execPath, [join(root, "bench/reference-proxy.mjs"), upstream], { readyLine: /listening on \d+/ });
  const referencePort = /listening on (\d+)/.exec(await reference.ready)?.[1];

  // Each target's base URL and the processes whose CPU time it costs (nginx: master and worker).
  const targets = [
    { name: "nodeos-sim direct", base: upstream, pids: () => [] },
    { name: "manageos proxy (daemon)", base: proxyUrl, pids: () => [daemon.child.pid] },
    { name: BASELINE, base: `http://127.0.0.1:${nginxPort}`, pids: () => [nginx.child.pid], children: true },
    { name: "bare node:http + undici proxy (reference)", base: `http://127.0.0.1:${referencePort}`, pids: () => [reference.child.pid] },
  ];
  const runs = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of SHAPES) {
      // Alternate the order so that machine noise and the node's warm-up hit every target alike.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const pids = target.pids();
        const before = await cpuSeconds(pids, target.children);
        const result = await wrk(`${target.base}${shape.path}`, shape);
        const cpu = (await cpuSeconds(pids, target.children)) - before;
        const key = `${shape.name}\0${target.name}`;
        if (!runs.has(key)) runs.set(key, []);
        runs.get(key).push({ ...result, cpuUs: pids.length === 0 ? Number.NaN : (cpu * 1e6) / result.requests });
      }
    }
  }

  const m = (list, field) => median(list.map((r) => r[field]));
  const rows = [];
  const verdicts = [];
  for (const shape of SHAPES) {
    const of = (name) => runs.get(`${shape.name}\0${name}`);
    const direct = of("nodeos-sim direct");
    const baseline = m(of(BASELINE), "rps");
    for (const target of targets) {
      const list = of(target.name);
      const isDirect = target.name === "nodeos-sim direct";
      rows.push([
        shape.name,
        target.name,
        BASELINE,
        m(list, "rps").toFixed(0),
        (m(list, "rps") / baseline).toFixed(2),
        m(list, "p50").toFixed(2),
        m(list, "p99").toFixed(2),
        isDirect ? "-" : (m(list, "p50") - m(direct, "p50")).toFixed(2),
        isDirect ? "-" : m(list, "cpuUs").toFixed(0),
        String(list.reduce((sum, r) => sum + r.errors, 0)),
      ]);
    }
    const ratio = m(of("manageos proxy (daemon)"), "rps") / baseline;
    verdicts.push({ shape: shape.name, ratio });
  }
  const load = (await runToEnd("cat", ["/proc/loadavg"])).trim();
  console.log(`\nproxy benchmark: wrk -t1 -d${DURATION}s, median of ${ROUNDS} alternating rounds; load average at the end: ${load}\n`);
  console.log(
    table(["shape", "target", "baseline", "req/s", "x baseline", "p50 ms", "p99 ms", "added p50 ms", "CPU µs/req", "socket errors"], rows),
  );
  console.log("");
  for (const { shape, ratio } of verdicts) {
    console.log(`${shape}: manageos proxy = ${ratio.toFixed(2)}x ${BASELINE} (goal >= ${GOAL}): ${ratio >= GOAL ? "met" : "NOT met"}`);
  }
  if (verdicts.some((v) => v.ratio < GOAL)) process.exitCode = 1;
  nginx.child.kill("SIGQUIT");
} finally {
  await cleanup();
}
