// npm start: builds what is not built yet, then runs the eos app.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
if (!existsSync(`${root}/apps/eos/dist/index.js`) || process.argv.includes("--build")) {
  const build = spawnSync("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: root, env, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const app = spawnSync(process.execPath, [`${root}/apps/eos/dist/index.js`, "run"], { cwd: root, env, stdio: "inherit" });
process.exit(app.status ?? 1);
