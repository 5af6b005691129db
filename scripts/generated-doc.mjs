// Writes a generated doc, or with --check fails when the committed one differs (npm test runs the checks).
import { readFileSync, writeFileSync } from "node:fs";

/** Writes `text` to `out` (a file URL), or with `--check` exits 1 naming `regenerate` when the file differs. */
export function writeOrCheck(out, text, regenerate) {
  if (!process.argv.includes("--check")) {
    writeFileSync(out, text);
    console.log(`wrote ${out.pathname}`);
    return;
  }
  let current = "";
  try {
    current = readFileSync(out, "utf8");
  } catch {}
  if (current !== text) {
    console.error(`${out.pathname.split("/").slice(-2).join("/")} is out of date: run ${regenerate}`);
    process.exit(1);
  }
}
