// Records other platforms' optional packages (esbuild, rollup, turbo, biome, anvil binaries) in
// package-lock.json, with the os/cpu/libc they run on, so that `npm ci` accepts the lockfile and
// skips them on this platform. Needed when the registry in use does not serve those packages and
// `npm install` therefore leaves them out. Run after every `npm install`; `--check` only reports.
import { readFileSync, writeFileSync } from "node:fs";

const OS = {
  android: "android",
  darwin: "darwin",
  linux: "linux",
  win32: "win32",
  windows: "win32",
  freebsd: "freebsd",
  openbsd: "openbsd",
  netbsd: "netbsd",
  sunos: "sunos",
  aix: "aix",
  openharmony: "openharmony",
};
const CPU = {
  arm64: "arm64",
  x64: "x64",
  amd64: "x64",
  64: "x64",
  arm: "arm",
  ia32: "ia32",
  ppc64: "ppc64",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64el: "mips64el",
  wasm32: "wasm32",
};

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ""}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const words = name.split("/").pop().split("-");
    const os = words.map((w) => OS[w]).find(Boolean);
    const cpu = words.map((w) => CPU[w]).find(Boolean);
    if (!os || !cpu || !/^\d+\.\d+\.\d+/.test(spec)) {
      console.error(`cannot tell the platform of ${name}@${spec}; add it by hand`);
      process.exitCode = 1;
      continue;
    }
    const record = { version: spec, optional: true, os: [os], cpu: [cpu] };
    if (words.includes("musl") || words.includes("musleabihf")) record.libc = ["musl"];
    else if (os === "linux" && (words.includes("gnu") || words.includes("gnueabihf"))) record.libc = ["glibc"];
    lock.packages[`node_modules/${name}`] = record;
    added++;
  }
}
if (process.argv.includes("--check")) {
  if (added > 0) {
    console.error(`package-lock.json lacks ${added} platform packages: run node scripts/lock-platforms.mjs`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: ${added} platform packages recorded`);
}
