// The signing path in bp mode: what the signing fence adds to a block signature. nodeos signs through the fence
// (a keosd endpoint inside the daemon), which forwards to the blocksigner only while production is resumed there.
// Measured on what ships: `manageos-eos run --bp-mode` with the real logger, supervising nodeos-sim that produces
// 500 ms blocks through that fence (its normal load), next to blocksigner-sim. One client posts sign_digest
// requests one after another, as nodeos does, alternately to the blocksigner directly and to the fence, in the same
// run. Goal: the fence's p99 at most 2 ms above the blocksigner's own.
import { writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { cleanup, freePort, start, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const { NODEOS_SIM_BIN, BLOCKSIGNER_SIM_BIN, createCluster } = await import(join(root, "packages/testkit/dist/index.js"));
const APP = join(root, "apps/eos/dist/index.js");
const PER_ROUND = Number(process.env.BENCH_SIGNATURES ?? "1000");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const GOAL_P99_MS = 2;

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

// One POST over a kept-alive connection; resolves the status, the body and the time it took in ms.
function post(url, body) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - started) / 1e6 }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function getJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return res.json();
}

async function until(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const fmt = (ms) => ms.toFixed(3);

try {
  const dir = await tempDir("manageos-bench-signing-");
  const clusterDir = join(dir, "cluster");
  await createCluster(clusterDir, { producers: ["bp.a", "bp.b"], roundLength: 12, blockIntervalMs: 500 });
  const signerPort = await freePort();
  const signer = start(process.execPath, [BLOCKSIGNER_SIM_BIN, "--port", String(signerPort)], { readyLine: /listening on .* keys: (\S+)/ });
  const publicKey = /keys: (\S+)/.exec(await signer.ready)[1].split(",")[0];
  const blocksigner = `http://127.0.0.1:${signerPort}`;

  const config = {
    hostname: "bench-bp",
    stateDir: join(dir, "state"),
    log: { level: "info", format: "json" },
    api: { listen: "127.0.0.1:0" },
    proxy: { enabled: false },
    storage: { url: `file://${join(dir, "storage")}` },
    backup: { bootstrap: "genesis" },
    node: {
      binary: NODEOS_SIM_BIN,
      dataDir: join(dir, "data"),
      configDir: join(dir, "config"),
      httpAddress: "127.0.0.1:0",
      blockInterval: "500ms",
      env: { NODEOS_SIM_CLUSTER_DIR: clusterDir, NODEOS_SIM_INSTANCE: "bench-bp" },
    },
    bp: { enabled: true, producerName: "bp.b", blocksigner, claimWindow: "1s" },
  };
  const file = join(dir, "manager.yaml");
  await writeFile(file, JSON.stringify(config));
  const daemon = start(process.execPath, [APP, "run", "--config", file], { readyLine: /"manageos listening"/ });
  const api = /"api":"(http:[^"]+)"/.exec(await daemon.ready)[1];
  // Resumed by hand once the node follows the chain: the fence signs from then on, and nodeos signs its blocks.
  await until("the resume", async () => {
    const res = await fetch(`${api}/v1/nodeos/safely_resume_production?sync=true&released_through=0`, { method: "POST" });
    return res.status === 200 ? true : undefined;
  });
  const production = await until("the fence open", async () => {
    const status = await getJson(`${api}/v1/manageos/status`);
    return status.production?.signing === true ? status.production : undefined;
  });
  const fence = production.fence;
  const direct = `${blocksigner}/v1/wallet/sign_digest`;

  const samples = { direct: [], fence: [] };
  const digest = (i) => i.toString(16).padStart(64, "0");
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of round % 2 === 0
      ? [
          ["direct", direct],
          ["fence", fence],
        ]
      : [
          ["fence", fence],
          ["direct", direct],
        ]) {
      for (let i = 0; i < PER_ROUND; i++) {
        const answer = await post(url, JSON.stringify([digest(round * PER_ROUND + i), publicKey]));
        if (answer.status !== 200) throw new Error(`${name}: ${answer.status} ${answer.body}`);
        samples[name].push(answer.ms);
      }
    }
  }
  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) };
  };
  const d = stats(samples.direct);
  const f = stats(samples.fence);
  const metrics = await (await fetch(`${api}/metrics`)).text();
  const refused = Number(/manageos_bp_sign_requests_total\{[^}]*result="refused"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  const signed = Number(/manageos_bp_sign_requests_total\{[^}]*result="signed"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  console.log(
    table(
      ["path", "signatures", "p50 ms", "p99 ms", "max ms"],
      [
        ["blocksigner directly", samples.direct.length, fmt(d.p50), fmt(d.p99), fmt(d.max)],
        ["through the fence (daemon)", samples.fence.length, fmt(f.p50), fmt(f.p99), fmt(f.max)],
        // A maximum is one sample: its difference says nothing, so only the quantiles are compared.
        ["added by the fence", "", fmt(f.p50 - d.p50), fmt(f.p99 - d.p99), ""],
      ],
    ),
  );
  console.log(`the fence signed ${signed} (nodeos' blocks among them), refused ${refused}; goal: p99 added at most ${GOAL_P99_MS} ms`);
  if (f.p99 - d.p99 > GOAL_P99_MS) {
    console.log(`goal missed: the fence adds ${fmt(f.p99 - d.p99)} ms at p99`);
    process.exitCode = 1;
  }
} finally {
  agent.destroy();
  await cleanup();
}
