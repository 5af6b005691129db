// npm run bench: runs every benchmark in this folder (or those named), one after another.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const here = new URL(".", import.meta.url).pathname;
const named = process.argv.slice(2);
// Not benchmarks: this runner, the shared helpers, and the servers bench/proxy.mjs starts (they run until stopped).
const NOT_BENCHES = ["run.mjs", "lib.mjs", "proxy-server.mjs", "reference-proxy.mjs"];
const all = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && !NOT_BENCHES.includes(f))
  .sort();
let failed = 0;
for (const file of named.length > 0 ? named.map((n) => (n.endsWith(".mjs") ? n : `${n}.mjs`)) : all) {
  console.log(`\n=== bench/${file}`);
  const run = spawnSync(process.execPath, [`${here}${file}`], { stdio: "inherit" });
  if (run.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
