// Copies the npm workspace's manifests (root package.json, package-lock.json, every workspace's
// package.json) into a target directory, and with --dist what each workspace ships: the entries of its
// package.json "files" (dist/ when it has none), such as the mindreader's proto/ schema read at run time.
// The image build uses it so that the dependency layer depends on manifests only, and the
// runtime stage gets the built bundles without sources. Usage: node workspace-files.mjs SRC DEST [--dist]
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [src, dest] = process.argv.slice(2);
const withDist = process.argv.includes("--dist");
if (!src || !dest) {
  console.error("usage: node workspace-files.mjs SRC DEST [--dist]");
  process.exit(64);
}
const root = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
const copy = (path) => {
  mkdirSync(join(dest, path, ".."), { recursive: true });
  cpSync(join(src, path), join(dest, path), { recursive: true });
};
copy("package.json");
copy("package-lock.json");
// Workspace globs are of the form "dir/*", as in the root package.json.
for (const glob of root.workspaces ?? []) {
  const parent = glob.replace(/\/\*$/, "");
  for (const name of readdirSync(join(src, parent))) {
    const dir = join(parent, name);
    if (!existsSync(join(src, dir, "package.json"))) continue;
    copy(join(dir, "package.json"));
    if (!withDist) continue;
    const shipped = JSON.parse(readFileSync(join(src, dir, "package.json"), "utf8")).files ?? ["dist"];
    for (const entry of shipped) if (existsSync(join(src, dir, entry))) copy(join(dir, entry));
  }
}
