// Runs one restore with the built package, pausing (blocking its thread) once some chunks are in the
// staging dir, so the parent can SIGKILL it mid-download. Argument: JSON {storeUrl, dataDir, chainId, chunkSize, pauseAfterChunks}.
import { writeSync } from "node:fs";
import { Backups, openStore } from "../../dist/index.js";

const args = JSON.parse(process.argv[2] ?? "{}");
const backups = new Backups({ chunkSize: args.chunkSize, parallel: 2 }, { store: openStore(args.storeUrl) });
let paused = false;
await backups.restore({ dataDir: args.dataDir, chainId: args.chainId, name: "latest" }, (progress) => {
  if (paused || progress.chunksDone < args.pauseAfterChunks) return;
  paused = true;
  writeSync(1, `PAUSED ${progress.chunksDone}\n`);
  // Block the event loop: no further chunk and no swap can happen until the kill.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
});
writeSync(1, "DONE\n");
