// Public proxy throughput and added latency: nodeos-sim directly, through manageos' proxy (bench/proxy-server.mjs,
// in a process of its own), and through nginx as a reverse proxy to the same upstream, measured with wrk in the same
// run. Goal: manageos' throughput at least 0.7x nginx's. A fourth row, a bare node:http proxy
// (bench/reference-proxy.mjs), shows what Node's HTTP server costs per request on the same machine.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanup, freePort, median, runToEnd, start, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const { NODEOS_SIM_BIN } = await import(join(root, "packages/testkit/dist/index.js"));
const DURATION = process.env.BENCH_SECONDS ?? "5";
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? "32";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const PATH = "/v1/chain/get_info";

// wrk's summary: requests/s and the 50th and 99th latency percentiles in ms.
async function wrk(url) {
  const out = await runToEnd("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${DURATION}s`, "--latency", url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]];
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`${url}: ${errors[1]} error responses`);
  return { rps, p50: ms(50), p99: ms(99) };
}

try {
  const dir = await tempDir("manageos-bench-proxy-");
  const nodePort = await freePort();
  await writeFile(join(dir, "config.ini"), `plugin = eosio::chain_api_plugin\nhttp-server-address = 127.0.0.1:${nodePort}\n`);
  const sim = start(NODEOS_SIM_BIN, ["--config-dir", dir, "--data-dir", join(dir, "data")], {
    env: { ...process.env, NODEOS_SIM_BLOCK_INTERVAL_MS: "500" },
    readyLine: /start listening on/,
  });
  await sim.ready;
  const upstream = `http://127.0.0.1:${nodePort}`;

  const proxy = start(process.execPath, [join(root, "bench/proxy-server.mjs"), upstream], { readyLine: /listening on \d+/ });
  const proxyUrl = `http://127.0.0.1:${/listening on (\d+)/.exec(await proxy.ready)?.[1]}`;

  const nginxPort = await freePort();
  await writeFile(
    join(dir, "nginx.conf"),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream node { server 127.0.0.1:${nodePort}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / { proxy_pass http://node; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const nginx = start("nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"]);
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${nginxPort}${PATH}`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }

  // The least a proxy built on node:http can do, to tell the cost of Node's HTTP server from manageos' own.
  const reference = start(process.execPath, [join(root, "bench/reference-proxy.mjs"), upstream], { readyLine: /listening on \d+/ });
  const referencePort = /listening on (\d+)/.exec(await reference.ready)?.[1];

  const targets = {
    "nodeos-sim direct": `${upstream}${PATH}`,
    "manageos proxy": `${proxyUrl}${PATH}`,
    "nginx proxy": `http://127.0.0.1:${nginxPort}${PATH}`,
    "bare node:http + undici proxy (reference)": `http://127.0.0.1:${referencePort}${PATH}`,
  };
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  // Interleaved rounds so that machine noise hits every target alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets)) results[name].push(await wrk(url));
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([name, runs]) => [
      name,
      { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) },
    ]),
  );
  const direct = summary["nodeos-sim direct"];
  const rows = Object.entries(summary).map(([name, s]) => [
    name,
    s.rps.toFixed(0),
    (s.rps / summary["nginx proxy"].rps).toFixed(2),
    s.p50.toFixed(2),
    s.p99.toFixed(2),
    name === "nodeos-sim direct" ? "-" : (s.p50 - direct.p50).toFixed(2),
    name === "nodeos-sim direct" ? "-" : (s.p99 - direct.p99).toFixed(2),
  ]);
  console.log(`\nproxy benchmark: GET ${PATH}, wrk -t1 -c${CONNECTIONS} -d${DURATION}s, median of ${ROUNDS} interleaved rounds\n`);
  console.log(table(["target", "req/s", "x nginx", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms"], rows));
  const ratio = summary["manageos proxy"].rps / summary["nginx proxy"].rps;
  console.log(`\nmanageos proxy throughput = ${ratio.toFixed(2)}x nginx (goal >= 0.70): ${ratio >= 0.7 ? "met" : "NOT met"}`);
  nginx.child.kill("SIGQUIT");
} finally {
  await cleanup();
}
