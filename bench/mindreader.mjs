// Deep-mind through the mindreader (line pipeline + MindreaderPlugin + BlockFiles writing to a work dir, uploading
// to a file:// store) versus bare line splitting of the same child's output, in the same run. The blocks are from
// 2024: with the default mindreader.catchUpBlockAge (12 h) they are caught up, straight into bundles; a second
// reader row writes them as it writes recent blocks, a one-block file each (catchUpBlockAge 0). Every block ends
// in a linked leap 13 ACCEPTED_BLOCK (packed block_state_legacy) built with the mindreader's own encoder. Two
// profiles: `empty` blocks carry the operation lines nodeos-sim prints (about 2 KB a block, a quiet chain);
// `fixture` blocks carry the operation lines of one of the four blocks of nodeos' own leap 13 deep-mind test in
// turn (4 to 98 KB, 37 KB on average: a busy chain).
// Goals: at least 0.5x the baseline's throughput and at least 2,000 blocks/s. Two more rows measure, alone and on one
// thread, the two costs a one-block file carries (gzip, and a file of its own): the writer runs CPUs - 2 threads,
// 2 to 8 (2 on this two-CPU machine).
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { cleanup, median, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const mr = await import(join(root, "packages/mindreader/dist/index.js"));
const core = await import(join(root, "packages/core/dist/index.js"));
const { runBareSplitter, runLinePipeline } = await import(join(root, "packages/superviser/dist/index.js"));
const PROFILES = [
  { name: "empty", blocks: Number(process.env.BENCH_BLOCKS_EMPTY ?? "10000") },
  { name: "fixture", blocks: Number(process.env.BENCH_BLOCKS_FIXTURE ?? "2000") },
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const LIB_LAG = 330;

// The operation lines (between START_BLOCK and ACCEPTED_BLOCK) of each block of the leap 13 fixture.
async function fixtureOperations() {
  const text = await readFile(join(root, "packages/mindreader/test/fixtures/leap-13.dmlog"), "utf8");
  const blocks = [];
  let current;
  for (const line of text.split("\n")) {
    if (line.startsWith("DMLOG START_BLOCK ")) current = [];
    else if (line.startsWith("DMLOG ACCEPTED_BLOCK ")) {
      blocks.push(current);
      current = undefined;
    } else if (current !== undefined && line.startsWith("DMLOG ")) current.push(line);
  }
  return blocks;
}

// What nodeos-sim prints between START_BLOCK and ACCEPTED_BLOCK.
function simOperations(num) {
  return [
    `DMLOG RLIMIT_OP STATE UPD {"average_block_net_usage":{"last_ordinal":${num},"value_ex":0,"consumed":0},"average_block_cpu_usage":{"last_ordinal":${num},"value_ex":0,"consumed":0},"pending_net_usage":0,"pending_cpu_usage":0,"total_net_weight":0,"total_cpu_weight":0,"total_ram_bytes":0,"virtual_net_limit":1048576,"virtual_cpu_limit":200000}`,
  ];
}

// Writes `blocks` linked leap 13 blocks (2..blocks+1) as nodeos prints them on stdout.
async function generate(path, profile) {
  const BLOCKS = profile.blocks;
  const operations = profile.name === "fixture" ? await fixtureOperations() : undefined;
  const out = createWriteStream(path);
  const write = async (text) => {
    if (!out.write(text)) await new Promise((resolve) => out.once("drain", resolve));
  };
  let bytes = 0;
  let previous = `00000001${"11".repeat(28)}`;
  const startMs = Date.UTC(2024, 0, 1);
  await write(`${mr.formatVersionLine("leap")}\n`);
  for (let num = 2; num < BLOCKS + 2; num++) {
    const block = mr.buildSignedBlock({ previous, timeMs: startMs + (num - 2) * 500, producer: "bp.a" });
    const state = mr.buildLeapBlockState(block, Math.max(1, num - LIB_LAG));
    const ops =
      operations === undefined
        ? simOperations(num)
        : operations[(num - 2) % operations.length].map((line) =>
            line.replace(/^DMLOG APPLIED_TRANSACTION \d+ /, `DMLOG APPLIED_TRANSACTION ${num} `),
          );
    const text = `${[mr.formatStartBlockLine(num), ...ops, mr.formatAcceptedBlockLine(state)].join("\n")}\n`;
    bytes += Buffer.byteLength(text);
    await write(text);
    previous = String(state.id);
  }
  await new Promise((resolve) => out.end(resolve));
  return bytes;
}

const quietLogger = () => core.createLogger({ level: "warn", format: "json", destination: { write: () => undefined } });

// One run through the reader and writer: until every block is in the work dir, then until the store has it all.
async function readerRun(stream, dir, BLOCKS, catchUpBlockAgeMs) {
  const logger = quietLogger();
  const metrics = mr.createMindreaderMetrics(core.createMetricsRegistry());
  const files = new mr.BlockFiles(
    { workDir: join(dir, "work"), suffix: "bench", maxPendingFiles: 1_000_000, catchUpBlockAgeMs },
    { store: core.openStore(`file://${join(dir, "store")}`), logger, metrics },
  );
  await files.start();
  const plugin = new mr.MindreaderPlugin({}, { sink: files, logger, metrics });
  let fatal;
  plugin.on("fatal", (err) => (fatal = err));
  const started = process.hrtime.bigint();
  const read = await runLinePipeline({ command: "cat", args: [stream], plugins: [plugin] });
  await files.flush();
  const written = Number(process.hrtime.bigint() - started) / 1e9;
  await files.drained();
  const uploaded = Number(process.hrtime.bigint() - started) / 1e9;
  files.close();
  if (fatal !== undefined) throw fatal;
  const blocks = metrics.blocksTotal.hashMap[""]?.value ?? 0;
  if (plugin.head?.num !== BLOCKS + 1 || blocks !== BLOCKS) throw new Error(`read ${blocks} blocks, head ${plugin.head?.num}`);
  const bundles = metrics.bundlesTotal.hashMap[""]?.value ?? 0;
  return { bytes: read.bytes, written, uploaded, bundles };
}

// What the writer threads cannot go below, each measured alone on one thread over the same blocks: gzip level 1 of
// every block's text, and creating one file per block (temp file + rename, the bytes already compressed).
async function ceilings(stream, dir) {
  const text = await readFile(stream, "utf8");
  const blocks = text.split(/(?=^DMLOG START_BLOCK )/m).filter((b) => b.startsWith("DMLOG START_BLOCK "));
  let started = process.hrtime.bigint();
  const compressed = blocks.map((b) => gzipSync(b, { level: 1 }));
  const gzipSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Left in place until the end: removing thousands of files keeps the disk busy (discards) into the next run.
  const files = join(dir, "files");
  mkdirSync(files);
  started = process.hrtime.bigint();
  for (const [i, bytes] of compressed.entries()) {
    writeFileSync(join(files, `.${i}.tmp`), bytes);
    renameSync(join(files, `.${i}.tmp`), join(files, `${i}.dmblock.gz`));
  }
  const fileSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { gzip: gzipSeconds, files: fileSeconds };
}

// One profile: generate, then interleave baseline and reader rounds; returns the table rows and the goal checks.
async function runProfile(profile) {
  const BLOCKS = profile.blocks;
  const dir = await tempDir(`manageos-bench-mindreader-${profile.name}-`);
  const stream = join(dir, "stdout.dmlog");
  const bytes = await generate(stream, profile);
  const base = [];
  const full = [];
  const live = [];
  const alone = [];
  for (let round = 0; round < ROUNDS; round++) {
    const splitter = await runBareSplitter({ command: "cat", args: [stream] });
    base.push(splitter.seconds);
    const dir = (kind) => tempDir(`manageos-bench-mindreader-${profile.name}-${round}-${kind}-`);
    full.push(await readerRun(stream, await dir("catch-up"), BLOCKS, 12 * 3600_000));
    live.push(await readerRun(stream, await dir("one-block"), BLOCKS, 0));
    alone.push(await ceilings(stream, await dir("alone")));
  }
  const gz = median(alone.map((c) => c.gzip));
  const fc = median(alone.map((c) => c.files));
  const b = median(base);
  const w = median(full.map((r) => r.written));
  const u = median(full.map((r) => r.uploaded));
  const lw = median(live.map((r) => r.written));
  const lu = median(live.map((r) => r.uploaded));
  const mb = bytes / 1e6;
  const label = `${profile.name} (${BLOCKS} blocks, ${(bytes / BLOCKS / 1024).toFixed(1)} KiB each)`;
  const row = (name, seconds) => [label, name, (BLOCKS / seconds).toFixed(0), (mb / seconds).toFixed(1), (b / seconds).toFixed(2)];
  const rows = [
    row("bare line splitting (baseline)", b),
    row("mindreader catching up, in the work dir", w),
    row("... and uploaded to the file:// store", u),
    row("mindreader, a file per block, in the work dir", lw),
    row("... and uploaded to the file:// store", lu),
    row("gzip level 1 alone, one thread (ceiling)", gz),
    row("a file per block alone, one thread (ceiling)", fc),
  ];
  const ratio = b / w;
  const rate = BLOCKS / w;
  const verdict =
    `${profile.name}: ${ratio.toFixed(2)}x baseline (goal >= 0.50): ${ratio >= 0.5 ? "met" : "NOT met"}; ` +
    `${rate.toFixed(0)} blocks/s into the work dir (goal >= 2000): ${rate >= 2000 ? "met" : "NOT met"}; ${full[0].bundles} bundles` +
    ` (catching up, the default for blocks this old; a file per block: ${(b / lw).toFixed(2)}x, ${(BLOCKS / lw).toFixed(0)} blocks/s)`;
  return { rows, verdict };
}

const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");

try {
  const results = [];
  const loadBefore = load();
  for (const profile of PROFILES) results.push(await runProfile(profile));
  console.log(`\nmindreader benchmark: leap 13 deep-mind through \`cat\`, median of ${ROUNDS} interleaved rounds`);
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after\n`);
  console.log(table(["blocks", "reader", "blocks/s", "MB/s", "x baseline"], results.flatMap((r) => r.rows)));
  console.log("");
  for (const r of results) console.log(r.verdict);
} finally {
  await cleanup();
}
