// Runs one backup with the built package, pausing (blocking its thread) once some chunks are in the
// store, so the parent can SIGKILL it mid-backup. Argument: JSON {storeUrl, apiEndpoint, dataDir, chainId, headNum, chunkSize, pauseAfterChunks}.
import { writeSync } from "node:fs";
import { Backups, openStore } from "../../dist/index.js";

const args = JSON.parse(process.argv[2] ?? "{}");
const store = openStore(args.storeUrl, args.apiEndpoint ? { apiEndpoint: args.apiEndpoint } : {});
const backups = new Backups({ chunkSize: args.chunkSize, parallel: 2 }, { store });
let paused = false;
await backups.backup(
  { dataDir: args.dataDir, chainId: args.chainId, head: { num: args.headNum, id: "killed" }, serverVersion: "v-test", tag: "killed" },
  (progress) => {
    if (paused || progress.chunksDone < args.pauseAfterChunks) return;
    paused = true;
    writeSync(1, `PAUSED ${progress.chunksDone}\n`);
    // Block the event loop: no further chunk and no manifest can be written until the kill.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  },
);
writeSync(1, "DONE\n");
