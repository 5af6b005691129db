// Runs, with the built package, a backup whose store turns read-only under it, so the run fails and
// cannot delete its marker; then the store is writable again and the same process runs gc.
// Must run in a mount namespace of its own: ROOT is a tmpfs it may remount. Arguments: ROOT DATA_DIR.
// Prints one JSON line: the backup's error code, the markers left, gc's result (or error code), markers after.
import { execFileSync } from "node:child_process";
import { writeSync } from "node:fs";
import { join } from "node:path";
import { Backups, openStore } from "../../dist/index.js";

const [root, dataDir] = process.argv.slice(2);
const store = openStore(`file://${join(root, "store")}`, { retries: 0 });
const backups = new Backups({ chunkSize: 64 * 1024, parallel: 1 }, { store });
const markers = async () => {
  const keys = [];
  for await (const object of store.list("locks/")) keys.push(object.key);
  return keys;
};
const out = {};
let remounted = false;
try {
  await backups.backup(
    { dataDir, chainId: "marker-chain", head: { num: 7, id: "seven" }, serverVersion: "v-test", tag: "fails" },
    (progress) => {
      if (remounted || progress.chunksDone < 1) return;
      remounted = true;
      execFileSync("mount", ["-o", "remount,ro", root]);
    },
  );
  out.backup = "ok";
} catch (error) {
  out.backup = error.code ?? String(error);
}
execFileSync("mount", ["-o", "remount,rw", root]);
out.markersAfterFailure = (await markers()).length;
try {
  const gc = await backups.gc({ graceMs: 0 });
  out.gc = { removedMarkers: gc.removedMarkers, removedChunks: gc.removedChunks };
} catch (error) {
  out.gc = `${error.code}: ${error.message}`;
}
out.markersAfterGc = (await markers()).length;
writeSync(1, `${JSON.stringify(out)}\n`);
