// Writes test/fixtures/backup-v1 with a build of manageos that writes manifest format 1 (Node 24 strips the types of
// v1-data.ts on import):
//   node test/support/make-v1-fixture.mjs <that build's dist/index.js> <out dir>
// The store's chunks/ and backups/ are what the fixture keeps.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { V1_CHAIN, V1_CHUNK, writeV1Data } from "./v1-data.ts";

const [dist, out] = process.argv.slice(2);
if (dist === undefined || out === undefined) throw new Error("usage: make-v1-fixture.mjs <dist/index.js> <out dir>");
const { Backups, openStore } = await import(dist);
const work = await mkdtemp(join(tmpdir(), "manageos-v1-fixture-"));
try {
  await writeV1Data(join(work, "data"));
  const backups = new Backups(
    { chunkSize: V1_CHUNK, now: () => new Date("2025-05-06T08:00:00Z") },
    { store: openStore(`file://${join(work, "store")}`) },
  );
  const made = await backups.backup({
    dataDir: join(work, "data"),
    chainId: V1_CHAIN,
    head: { num: 42, id: `0000002a${"cd".repeat(28)}` },
    serverVersion: "v5.0.3",
    tag: "v1",
  });
  if (made.manifest.format !== "manageos-backup/1") throw new Error(`that build writes ${made.manifest.format}, not manageos-backup/1`);
  for (const dir of ["chunks", "backups"]) await cp(join(work, "store", dir), join(out, dir), { recursive: true });
  console.log(`${made.name}: ${made.manifest.totals.newChunks} chunks, ${made.manifest.totals.newBytes} bytes`);
} finally {
  await rm(work, { recursive: true, force: true });
}
