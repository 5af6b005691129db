// Backup engine against `cp -a` of the same data dir, in the same run: full backup, full restore,
// and an incremental backup after 1% appended to blocks.log; the stored bytes of a sparse state file in two layouts
// against its data bytes; 20,000 files of 4 KiB backed up and restored against `cp -a`; the full backup against
// `cp -a` again while a busy loop keeps the other core busy. Prints a table; exits 1 when a goal is missed.
// Goals: backup and restore at least 0.7x cp's speed (also for the small files, and with the other core busy);
// incremental at most 0.1x the full backup's time; a sparse file's stored bytes at most 1.05x its data.
// `node bench/backup.mjs --warm` measures with the page cache kept between operations;
// `--only=full,sparse,small,busy` runs some of the parts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, open, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Backups, NODEOS_APPEND_ONLY, openStore } from "../packages/core/dist/index.js";
import { cleanup, runToEnd, start, table, tempDir } from "./lib.mjs";

const MIB = 1024 * 1024;
const LOG_BYTES = 1024 * MIB;
const STATE_BYTES = 8 * 1024 * MIB;
const STATE_DATA = 64 * MIB;
const APPENDED = Math.round(LOG_BYTES / 100);
const PAGE = 4096;
const SMALL_FILES = 20_000;
// The sparse state file in two layouts: data at its start, scattered pages.
const SPARSE_LAYOUTS = [
  { data: 64 * MIB, pages: 4 },
  { data: 256 * MIB, pages: 64 },
];
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
// start where chainbase allocates, plus scattered pages; the rest is a hole.
async function writeState(path, dataBytes = STATE_DATA, pages = 4) {
  const handle = await open(path, "w");
  try {
    await handle.truncate(STATE_BYTES);
    for (let at = 0; at < dataBytes; at += MIB) await handle.write(randomBytes(MIB), 0, MIB, at);
    for (let i = 1; i <= pages; i++)
      await handle.write(randomBytes(PAGE), 0, PAGE, Math.floor((((STATE_BYTES - dataBytes) / (pages + 1)) * i) / PAGE) * PAGE + dataBytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// SMALL_FILES files of PAGE bytes each, in 20 directories (as a node's many small files: snapshots, protocol features).
async function writeSmallFiles(dir) {
  for (let d = 0; d < 20; d++) {
    await mkdir(join(dir, `d${d}`), { recursive: true });
    for (let i = 0; i < SMALL_FILES / 20; i++) await writeFile(join(dir, `d${d}`, `f${i}`), randomBytes(PAGE));
  }
  await runToEnd("sync", []);
}

// Bytes of the chunk objects a store holds.
async function storedBytes(storeDir) {
  let sum = 0;
  for (const entry of await readdir(join(storeDir, "chunks"), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sum += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return sum;
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

const ROUNDS = 3;
const onlyArg = process.argv.find((a) => a.startsWith("--only="));
const PARTS = new Set((onlyArg?.slice("--only=".length) ?? "full,sparse,small,busy").split(","));
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
const rows = [];
const missed = [];
const speed = (bytes, s) => `${(bytes / MIB / s).toFixed(0)} MiB/s`;
const met = (ok, name) => {
  if (!ok) missed.push(name);
  return ok ? "yes" : "NO";
};
const head = (num) => ({ num, id: `${num.toString(16).padStart(8, "0")}${"ab".repeat(28)}` });
console.log(`load average at start: ${loadavg()}`);
try {
  const data = join(work, "data");
  if (PARTS.has("full") || PARTS.has("busy")) {
    await mkdir(join(data, "blocks"), { recursive: true });
    await mkdir(join(data, "state"), { recursive: true });
    console.log(
      `generating ${LOG_BYTES / MIB} MiB blocks.log and a ${STATE_BYTES / MIB} MiB sparse state file (${STATE_DATA / MIB} MiB data at its start, 4 scattered pages)`,
    );
    await writeLog(join(data, "blocks", "blocks.log"), LOG_BYTES);
    await writeState(join(data, "state", "shared_memory.bin"));
  }
  // As the backup service asks for a nodeos data dir.
  const request = (num, dataDir = data) => ({
    dataDir,
    chainId: CHAIN,
    head: head(num),
    serverVersion: "bench",
    tag: "bench",
    appendOnly: NODEOS_APPEND_ONLY,
  });
  if (PARTS.has("full")) await fullAndIncremental(data, request);
  if (PARTS.has("sparse")) await sparseLayouts(request);
  if (PARTS.has("small")) await smallFiles(request);
  if (PARTS.has("busy")) await busyCore(data, request);
  console.log(table(["operation", "seconds", "measure", "baseline", "ratio", "goal", "met"], rows));
  console.log(
    `median of ${ROUNDS} rounds, order alternating; ${cachesNote}; ${SETTLE_MS / 1000} s of rest before each operation; load average at end: ${loadavg()}`,
  );
  if (missed.length > 0) {
    console.log(`missed: ${missed.join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  await cleanup();
}

// Full backup and restore against cp -a, then an incremental backup after 1% appended to blocks.log.
async function fullAndIncremental(data, request) {
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
  const m = Object.fromEntries(Object.entries(runs).map(([key, values]) => [key, median(values)]));
  const total = LOG_BYTES + STATE_BYTES;
  const backup = m.cpBackup / m.full;
  const restore = m.cpRestore / m.restore;
  const incremental = m.incremental / m.full;
  rows.push(
    ["cp -a (backup baseline)", m.cpBackup.toFixed(2), speed(total, m.cpBackup), "", "", "", ""],
    [
      "full backup",
      m.full.toFixed(2),
      speed(total, m.full),
      "cp -a",
      `${backup.toFixed(2)}x cp speed`,
      ">= 0.7x",
      met(backup >= 0.7, "full backup"),
    ],
    ["cp -a (restore baseline)", m.cpRestore.toFixed(2), speed(total, m.cpRestore), "", "", "", ""],
    [
      "full restore",
      m.restore.toFixed(2),
      speed(total, m.restore),
      "cp -a",
      `${restore.toFixed(2)}x cp speed`,
      ">= 0.7x",
      met(restore >= 0.7, "full restore"),
    ],
    [
      `incremental backup (+${(APPENDED / MIB).toFixed(0)} MiB)`,
      m.incremental.toFixed(2),
      `${(newBytes / MIB).toFixed(1)} MiB new`,
      "full backup",
      `${incremental.toFixed(3)}x full time`,
      "<= 0.1x",
      met(incremental <= 0.1, "incremental"),
    ],
  );
}

// Stored bytes of a sparse state file (defaults: 16 MiB chunks, no compression) against the bytes it holds.
async function sparseLayouts(request) {
  for (const [i, layout] of SPARSE_LAYOUTS.entries()) {
    const dir = join(work, `sparse-${i}`);
    await mkdir(join(dir, "state"), { recursive: true });
    await writeState(join(dir, "state", "shared_memory.bin"), layout.data, layout.pages);
    const storeDir = join(work, `sparse-store-${i}`);
    const engine = new Backups({}, { store: openStore(`file://${storeDir}`) });
    const made = await timed(() => engine.backup(request(3000 + i, dir)));
    const data = layout.data + layout.pages * PAGE;
    const stored = await storedBytes(storeDir);
    const ratio = stored / data;
    const name = `sparse ${STATE_BYTES / 1024 / MIB} GiB: ${layout.data / MIB} MiB + ${layout.pages} pages`;
    rows.push([
      `${name}, stored bytes`,
      made.seconds.toFixed(2),
      `${(stored / MIB).toFixed(2)} MiB stored`,
      `data bytes (${(data / MIB).toFixed(2)} MiB)`,
      `${ratio.toFixed(3)}x data`,
      "<= 1.05x",
      met(ratio <= 1.05, name),
    ]);
    await rm(dir, { recursive: true, force: true });
    await rm(storeDir, { recursive: true, force: true });
  }
}

// SMALL_FILES files of 4 KiB: backup and restore against cp -a of the same dir.
async function smallFiles(request) {
  const dir = join(work, "small");
  console.log(`generating ${SMALL_FILES} files of ${PAGE} bytes`);
  await writeSmallFiles(dir);
  const runs = { cpBackup: [], backup: [], cpRestore: [], restore: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const store = join(work, `small-store-${round}`);
    const engine = new Backups({}, { store: openStore(`file://${store}`) });
    const [cpBackup, backup] = await pair(
      round,
      () => timed(() => runToEnd("cp", ["-a", dir, join(work, "small-cp")])),
      () => timed(() => engine.backup(request(4000 + round, dir))),
    );
    const [cpRestore, restore] = await pair(
      round,
      () => timed(() => runToEnd("cp", ["-a", join(work, "small-cp"), join(work, "small-cp-restored")])),
      () => timed(() => engine.restore({ dataDir: join(work, "small-restored"), chainId: CHAIN, name: backup.result.name })),
    );
    for (const [key, value] of Object.entries({ cpBackup, backup, cpRestore, restore })) runs[key].push(value.seconds);
    console.log(
      `small files, round ${round + 1}: cp -a ${cpBackup.seconds.toFixed(2)} s, backup ${backup.seconds.toFixed(2)} s, ` +
        `cp -a back ${cpRestore.seconds.toFixed(2)} s, restore ${restore.seconds.toFixed(2)} s`,
    );
    for (const name of ["small-cp", "small-cp-restored", "small-restored"]) await rm(join(work, name), { recursive: true, force: true });
    await rm(store, { recursive: true, force: true });
  }
  const m = Object.fromEntries(Object.entries(runs).map(([key, values]) => [key, median(values)]));
  const files = (s) => `${(SMALL_FILES / s).toFixed(0)} files/s`;
  const backup = m.cpBackup / m.backup;
  const restore = m.cpRestore / m.restore;
  rows.push(
    [`cp -a of ${SMALL_FILES} x 4 KiB files`, m.cpBackup.toFixed(2), files(m.cpBackup), "", "", "", ""],
    [
      `backup of ${SMALL_FILES} x 4 KiB files`,
      m.backup.toFixed(2),
      files(m.backup),
      "cp -a",
      `${backup.toFixed(2)}x cp speed`,
      ">= 0.7x",
      met(backup >= 0.7, "small files backup"),
    ],
    [`cp -a back of ${SMALL_FILES} files`, m.cpRestore.toFixed(2), files(m.cpRestore), "", "", "", ""],
    [
      `restore of ${SMALL_FILES} x 4 KiB files`,
      m.restore.toFixed(2),
      files(m.restore),
      "cp -a",
      `${restore.toFixed(2)}x cp speed`,
      ">= 0.7x",
      met(restore >= 0.7, "small files restore"),
    ],
  );
  await rm(dir, { recursive: true, force: true });
}

// The full backup against cp -a while a busy loop (another process) keeps one core busy.
async function busyCore(data, request) {
  const busy = start(process.execPath, ["-e", "for (;;) {}"]);
  const runs = { cp: [], backup: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const store = join(work, `busy-store-${round}`);
      const engine = new Backups({}, { store: openStore(`file://${store}`) });
      const [cp, backup] = await pair(
        round,
        () => timed(() => runToEnd("cp", ["-a", data, join(work, "busy-cp")])),
        () => timed(() => engine.backup(request(5000 + round))),
      );
      runs.cp.push(cp.seconds);
      runs.backup.push(backup.seconds);
      console.log(
        `other core busy, round ${round + 1}: cp -a ${cp.seconds.toFixed(2)} s, backup ${backup.seconds.toFixed(2)} s (load ${loadavg()})`,
      );
      await rm(join(work, "busy-cp"), { recursive: true, force: true });
      await rm(store, { recursive: true, force: true });
    }
  } finally {
    const exited = busy.exited;
    busy.child.kill("SIGKILL");
    await exited;
  }
  const cp = median(runs.cp);
  const backup = median(runs.backup);
  const total = LOG_BYTES + STATE_BYTES;
  const ratio = cp / backup;
  rows.push(
    ["cp -a, other core busy", cp.toFixed(2), speed(total, cp), "", "", "", ""],
    [
      "full backup, other core busy",
      backup.toFixed(2),
      speed(total, backup),
      "cp -a, other core busy",
      `${ratio.toFixed(2)}x cp speed`,
      ">= 0.7x",
      met(ratio >= 0.7, "full backup, other core busy"),
    ],
  );
}
