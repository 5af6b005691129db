// Runs inside a manageos image (the image test copies it in): starts `manageos run` with
// /etc/manageos/manager.yaml, waits until the head block advances, reads /metrics, stops
// manageos with SIGTERM as a container runtime would, and prints a JSON report as its last line.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

const STATE = "/var/lib/manageos/state";
const child = spawn("node", ["/usr/local/bin/manageos", "run", "--config", "/etc/manageos/manager.yaml"], {
  stdio: ["ignore", "inherit", "inherit"],
});
const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

let api;
let first;
let last;
const deadline = Date.now() + 60_000;
while (Date.now() < deadline && child.exitCode === null) {
  try {
    api ??= JSON.parse(await readFile(`${STATE}/endpoints.json`, "utf8")).api;
    const status = await (await fetch(`${api}/v1/manageos/status`)).json();
    if (status.head?.num > 0 && status.node?.pid) {
      first ??= status;
      last = status;
      if (last.head.num > first.head.num + 5) break;
    }
  } catch {
    // not up yet
  }
  await sleep(200);
}
const report = { api, firstHead: first?.head?.num ?? 0, lastHead: last?.head?.num ?? 0, nodeBinary: null, metricsHead: 0 };
const nodePid = last?.node?.pid;
if (nodePid) {
  const cmdline = (await readFile(`/proc/${nodePid}/cmdline`, "utf8").catch(() => "")).split("\0");
  report.nodeBinary = cmdline.find((arg) => arg.endsWith("/nodeos")) ?? cmdline.join(" ");
}
if (api) {
  const metrics = await (await fetch(`${api}/metrics`)).text();
  report.metricsHead = Number(/^manageos_chain_head_block_number\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}
child.kill("SIGTERM");
const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
const { code, signal } = await exited;
clearTimeout(timer);
report.exitCode = code;
report.signal = signal;
report.nodeExited = nodePid ? !existsSync(`/proc/${nodePid}`) : false;
console.log(JSON.stringify(report));
