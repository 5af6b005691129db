// Backup engine against `cp -a` of the same data dir, in the same run: full backup, full restore,
// and an incremental backup after 1% appended to blocks.log. Prints a table; exits 1 when a goal is missed.
// Goals: backup and restore at least 0.7x cp's speed; incremental at most 0.1x the full backup's time.
// `node bench/backup.mjs --warm` measures with the page cache kept between operations.
import { randomBytes } from "node:crypto";
import { mkdir, open, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Backups, NODEOS_APPEND_ONLY, openStore } from "../packages/core/dist/index.js";
import { cleanup, runToEnd, table, tempDir } from "./lib.mjs";

const MIB = 1024 * 1024;
const LOG_BYTES = 1024 * MIB;
const STATE_BYTES = 8 * 1024 * MIB;
const STATE_DATA = 64 * MIB;
const APPENDED = Math.round(LOG_BYTES / 100);
const CHAIN = "aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906";

// Random-ish bytes: a random pool, each MiB stamped with its index so no two chunks are equal.
async function writeLog(path, bytes, first = 0) {
  const pool = randomBytes(64 * MIB);
  const handle = await open(path, "a");
  try {
    for (let i = 0; i * MIB < bytes; i++) {
      const at = ((i * 7919) % 63) * MIB;
      const block = Buffer.from(pool.subarray(at, at + MIB));
      block.writeUInt32BE(first + i, 0);
      await handle.write(block, 0, Math.min(MIB, bytes - i * MIB));
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// A sparse state file as chainbase leaves it: STATE_BYTES long (chain-state-db-size-mb), its data at the
// start where chainbase allocates, plus a few scattered pages; the rest is a hole.
async function writeState(path) {
  const handle = await open(path, "w");
  try {
    await handle.truncate(STATE_BYTES);
    for (let at = 0; at < STATE_DATA; at += MIB) await handle.write(randomBytes(MIB), 0, MIB, at);
    for (let i = 1; i <= 4; i++) await handle.write(randomBytes(4096), 0, 4096, Math.floor((STATE_BYTES / 5) * i));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const ROUNDS = 3;
// The disks of the machines we measure on write a first burst fast and the next ones slower until they rest: every
// timed operation starts on a rested disk and a cold page cache, so neither side inherits the other's state.
const SETTLE_MS = 10_000;
// `--warm` keeps the page cache (the data dir was just written or read); by default every operation reads cold.
const WARM = process.argv.includes("--warm");
let cachesNote = WARM ? "page cache kept (--warm)" : "page cache dropped before each operation";

async function quiesce() {
  await runToEnd("sync", []);
  try {
    if (!WARM) await writeFile("/proc/sys/vm/drop_caches", "3\n");
  } catch {
    cachesNote = "page cache NOT dropped (needs root): reads may come from memory";
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

// Seconds from a rested, cold start until the result is on disk.
async function timed(fn) {
  await quiesce();
  const started = process.hrtime.bigint();
  const result = await fn();
  await runToEnd("sync", []);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, result };
}

// Runs both in an order that alternates with the round, so neither always goes first.
async function pair(round, first, second) {
  if (round % 2 === 0) return [await first(), await second()];
  const b = await second();
  return [await first(), b];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const work = await tempDir("manageos-bench-backup-");
try {
  const data = join(work, "data");
  await mkdir(join(data, "blocks"), { recursive: true });
  await mkdir(join(data, "state"), { recursive: true });
  console.log(`generating ${LOG_BYTES / MIB} MiB blocks.log and a ${STATE_BYTES / MIB} MiB sparse state file (${STATE_DATA / MIB} MiB data at its start, 4 scattered pages)`);
  await writeLog(join(data, "blocks", "blocks.log"), LOG_BYTES);
  await writeState(join(data, "state", "shared_memory.bin"));

  const head = (num) => ({ num, id: `${num.toString(16).padStart(8, "0")}${"ab".repeat(28)}` });
  // As the backup service asks for a nodeos data dir.
  const request = (num) => ({ dataDir: data, chainId: CHAIN, head: head(num), serverVersion: "bench", tag: "bench", appendOnly: NODEOS_APPEND_ONLY });
  const runs = { cpBackup: [], full: [], cpRestore: [], restore: [], incremental: [] };
  let newBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const store = join(work, `store-${round}`);
    const engine = new Backups({}, { store: openStore(`file://${store}`) });
    const [cpBackup, full] = await pair(
      round,
      () => timed(() => runToEnd("cp", ["-a", data, join(work, "cp-copy")])),
      () => timed(() => engine.backup(request(1000 + round))),
    );
    const [cpRestore, restore] = await pair(
      round,
      () => timed(() => runToEnd("cp", ["-a", join(work, "cp-copy"), join(work, "cp-restored")])),
      () => timed(() => engine.restore({ dataDir: join(work, "restored"), chainId: CHAIN, name: full.result.name })),
    );
    // 1% appended to blocks.log, backed up again into the same store, then cut back for the next round.
    await writeLog(join(data, "blocks", "blocks.log"), APPENDED, LOG_BYTES / MIB);
    const incremental = await timed(() => engine.backup(request(2000 + round)));
    await truncate(join(data, "blocks", "blocks.log"), LOG_BYTES);
    newBytes = incremental.result.newBytes;
    for (const [key, value] of Object.entries({ cpBackup, full, cpRestore, restore, incremental })) runs[key].push(value.seconds);
    console.log(
      `round ${round + 1}: cp -a ${cpBackup.seconds.toFixed(2)} s, backup ${full.seconds.toFixed(2)} s, ` +
        `cp -a back ${cpRestore.seconds.toFixed(2)} s, restore ${restore.seconds.toFixed(2)} s, incremental ${incremental.seconds.toFixed(2)} s`,
    );
    for (const dir of ["cp-copy", "cp-restored", "restored"]) await rm(join(work, dir), { recursive: true, force: true });
    await rm(store, { recursive: true, force: true });
  }
  const cpBackup = { seconds: median(runs.cpBackup) };
  const full = { seconds: median(runs.full) };
  const cpRestore = { seconds: median(runs.cpRestore) };
  const restore = { seconds: median(runs.restore) };
  const incremental = { seconds: median(runs.incremental), result: { newBytes } };
  const appended = APPENDED;

  const speed = (bytes, s) => `${(bytes / MIB / s).toFixed(0)} MiB/s`;
  const total = LOG_BYTES + STATE_BYTES;
  const ratios = {
    backup: cpBackup.seconds / full.seconds,
    restore: cpRestore.seconds / restore.seconds,
    incremental: incremental.seconds / full.seconds,
  };
  console.log(
    table(
      ["operation", "seconds", "apparent speed", "baseline", "ratio", "goal", "met"],
      [
        ["cp -a (backup baseline)", cpBackup.seconds.toFixed(2), speed(total, cpBackup.seconds), "", "", "", ""],
        ["full backup", full.seconds.toFixed(2), speed(total, full.seconds), "cp -a", `${ratios.backup.toFixed(2)}x cp speed`, ">= 0.7x", ratios.backup >= 0.7 ? "yes" : "NO"],
        ["cp -a (restore baseline)", cpRestore.seconds.toFixed(2), speed(total, cpRestore.seconds), "", "", "", ""],
        ["full restore", restore.seconds.toFixed(2), speed(total, restore.seconds), "cp -a", `${ratios.restore.toFixed(2)}x cp speed`, ">= 0.7x", ratios.restore >= 0.7 ? "yes" : "NO"],
        [
          `incremental backup (+${(appended / MIB).toFixed(0)} MiB)`,
          incremental.seconds.toFixed(2),
          `${(incremental.result.newBytes / MIB).toFixed(1)} MiB new`,
          "full backup",
          `${ratios.incremental.toFixed(3)}x full time`,
          "<= 0.1x",
          ratios.incremental <= 0.1 ? "yes" : "NO",
        ],
      ],
    ),
  );
  console.log(`median of ${ROUNDS} rounds, order alternating; ${cachesNote}; ${SETTLE_MS / 1000} s of rest before each operation`);
  if (ratios.backup < 0.7 || ratios.restore < 0.7 || ratios.incremental > 0.1) process.exitCode = 1;
} finally {
  await cleanup();
}
