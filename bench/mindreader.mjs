// Deep-mind through the mindreader (line pipeline + MindreaderPlugin + BlockFiles writing to a work dir, uploading
// to a file:// store), in both block file formats, against two baselines of the same child's output in the same run:
// bare line splitting, and `zstd -3` (Debian's zstd) of the same DMLOG bytes. The blocks are from 2024: with the
// default mindreader.catchUpBlockAge (12 h) they are caught up, straight into bundles; other rows write them as
// recent blocks, a one-block file each (catchUpBlockAge 0). Every block ends in a linked leap 13 ACCEPTED_BLOCK
// (packed block_state_legacy) built with the mindreader's own encoder. Two profiles: `empty` blocks carry the
// operation lines nodeos-sim prints (about 2 KB a block, a quiet chain); `fixture` blocks carry the operation lines
// of one of the four blocks of nodeos' own leap 13 deep-mind test in turn (4 to 98 KB, 37 KB on average: a busy
// chain, with real traces the Firehose format decodes), 10,000 of them (373 MB): catching up lasts hours, and over
// 2,000 blocks starting the threads and warming their code is a third of the run.
// Goals: Firehose catching up at least 2,000 blocks/s with the fixture's blocks; at the head (blocks paced as a node
// makes them, 25 times EOS' rate), the reader never waits for the writer (read wait 0 s). The writer runs CPUs - 2
// threads, 2 to 8 (2 on a two-CPU machine), plus half as many Firehose decoding threads (one here); a row runs two.
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { cleanup, median, runCaptured, table, tempDir } from "./lib.mjs";

const root = new URL("..", import.meta.url).pathname;
const mr = await import(join(root, "packages/mindreader/dist/index.js"));
const core = await import(join(root, "packages/core/dist/index.js"));
const { runBareSplitter, runLinePipeline } = await import(join(root, "packages/superviser/dist/index.js"));
const PROFILES = [
  { name: "empty", blocks: Number(process.env.BENCH_BLOCKS_EMPTY ?? "10000") },
  { name: "fixture", blocks: Number(process.env.BENCH_BLOCKS_FIXTURE ?? "10000") },
];
// A reader catching up runs for hours; a run's first blocks also pay for starting its threads and warming their
// code. The rate past this many blocks is reported beside the whole run's.
const WARM_BLOCKS = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const LIB_LAG = 330;
// At the head: blocks paced at this rate (EOS makes 2 a second), this many of them.
const HEAD_RATE = Number(process.env.BENCH_HEAD_RATE ?? "50");
const HEAD_BLOCKS = Number(process.env.BENCH_HEAD_BLOCKS ?? "200");

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
// `command` prints the deep-mind output (`cat` of the stream, or the paced printer).
async function readerRun(command, args, dir, BLOCKS, { format, catchUpBlockAgeMs, decoderThreads }) {
  const logger = quietLogger();
  const metrics = mr.createMindreaderMetrics(core.createMetricsRegistry());
  const firehose = format === "firehose";
  const files = new mr.BlockFiles(
    {
      format: firehose ? mr.FIREHOSE_FORMAT : mr.DMLOG_FORMAT,
      workDir: join(dir, "work"),
      suffix: "bench",
      maxPendingFiles: 1_000_000,
      catchUpBlockAgeMs,
      decoderThreads,
    },
    { store: core.openStore(`file://${join(dir, "store")}`), logger, metrics },
  );
  await files.start();
  const plugin = new mr.MindreaderPlugin({ keepContext: firehose, publishHeaders: !firehose }, { sink: files, logger, metrics });
  let fatal;
  plugin.on("fatal", (err) => (fatal = err));
  files.on("blockError", (err) => plugin.failWith(err));
  // Receive-to-written latency of each block (the reader's clock), for the head rows.
  const latencies = [];
  const receivedAt = new Map();
  plugin.on("block", (block) => receivedAt.set(block.meta.num, block.receivedAt));
  let writtenCount = 0;
  let warmAt;
  files.on("written", (meta) => {
    latencies.push(Date.now() - (receivedAt.get(meta.num) ?? Date.now()));
    if (++writtenCount === WARM_BLOCKS) warmAt = process.hrtime.bigint();
  });
  const started = process.hrtime.bigint();
  const read = await runLinePipeline({ command, args, plugins: [plugin] });
  await files.flush();
  const end = process.hrtime.bigint();
  const written = Number(end - started) / 1e9;
  // Past the first WARM_BLOCKS blocks: their seconds, when the run had more.
  const warmWritten = warmAt !== undefined && BLOCKS > WARM_BLOCKS ? Number(end - warmAt) / 1e9 : undefined;
  await files.drained();
  const uploaded = Number(process.hrtime.bigint() - started) / 1e9;
  files.close();
  if (fatal !== undefined) throw fatal;
  const blocks = metrics.blocksTotal.hashMap[""]?.value ?? 0;
  if (plugin.head?.num !== BLOCKS + 1 || blocks !== BLOCKS) throw new Error(`read ${blocks} blocks, head ${plugin.head?.num}`);
  const bundles = metrics.bundlesTotal.hashMap[""]?.value ?? 0;
  const waited = metrics.readWaitSecondsTotal.hashMap[""]?.value ?? 0;
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { bytes: read.bytes, written, warmWritten, uploaded, bundles, waited, p50: p(0.5), p99: p(0.99) };
}

// `zstd -3` of the whole stream (Debian's zstd, one thread, to /dev/null): the cost of compressing the same DMLOG
// bytes, without reading, decoding or files.
async function zstdBaseline(stream) {
  const run = await runCaptured("zstd", ["-3", "-q", "-f", "-T1", stream, "-o", "/dev/null"]);
  if (run.code !== 0) throw new Error(`zstd -3 exited ${run.code}: ${run.err}`);
  return run.seconds;
}

// What decoding alone costs, on this thread, over the same blocks: the Firehose decoder and nothing else.
async function decodeCeiling(stream) {
  const text = await readFile(stream, "utf8");
  const blocks = text
    .split(/(?=^DMLOG START_BLOCK )/m)
    .filter((b) => b.startsWith("DMLOG START_BLOCK "))
    .map((b) => Buffer.from(b));
  const decoder = new mr.FirehoseDecoder({ chain: "leap" });
  const started = process.hrtime.bigint();
  for (const bytes of blocks) decoder.decode(bytes);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// A node at the head: prints the stream's blocks at HEAD_RATE a second (the version line first).
const PACED = `
const { readFileSync } = require("node:fs");
const [file, rate, count] = process.argv.slice(1);
const text = readFileSync(file, "utf8");
const [version, ...rest] = text.split(/(?=^DMLOG START_BLOCK )/m);
process.stdout.write(version);
const blocks = rest.slice(0, Number(count));
const start = Date.now();
let i = 0;
const next = () => {
  if (i >= blocks.length) return;
  process.stdout.write(blocks[i++]);
  setTimeout(next, Math.max(0, start + (i * 1000) / Number(rate) - Date.now()));
};
next();
`;

// One profile: generate, then interleave baseline and reader rounds; returns the table rows and the goal checks.
async function runProfile(profile) {
  const BLOCKS = profile.blocks;
  const dir = await tempDir(`manageos-bench-mindreader-${profile.name}-`);
  const stream = join(dir, "stdout.dmlog");
  const bytes = await generate(stream, profile);
  const base = [];
  const zstd = [];
  const runs = { firehose: [], firehoseTwo: [], firehoseLive: [], dmlog: [], dmlogLive: [] };
  const decode = [];
  const runDir = (kind, round) => tempDir(`manageos-bench-mindreader-${profile.name}-${round}-${kind}-`);
  for (let round = 0; round < ROUNDS; round++) {
    base.push((await runBareSplitter({ command: "cat", args: [stream] })).seconds);
    zstd.push(await zstdBaseline(stream));
    runs.firehose.push(
      await readerRun("cat", [stream], await runDir("fh", round), BLOCKS, { format: "firehose", catchUpBlockAgeMs: 12 * 3600_000 }),
    );
    runs.firehoseTwo.push(
      await readerRun("cat", [stream], await runDir("fh-2", round), BLOCKS, {
        format: "firehose",
        catchUpBlockAgeMs: 12 * 3600_000,
        decoderThreads: 2,
      }),
    );
    runs.firehoseLive.push(
      await readerRun("cat", [stream], await runDir("fh-one", round), BLOCKS, { format: "firehose", catchUpBlockAgeMs: 0 }),
    );
    runs.dmlog.push(
      await readerRun("cat", [stream], await runDir("dm", round), BLOCKS, { format: "dmlog", catchUpBlockAgeMs: 12 * 3600_000 }),
    );
    runs.dmlogLive.push(await readerRun("cat", [stream], await runDir("dm-one", round), BLOCKS, { format: "dmlog", catchUpBlockAgeMs: 0 }));
    decode.push(await decodeCeiling(stream));
  }
  // At the head, once: blocks paced as a node makes them, each a one-block file.
  const headBlocks = Math.min(HEAD_BLOCKS, BLOCKS);
  const head = await readerRun(
    process.execPath,
    ["-e", PACED, stream, String(HEAD_RATE), String(headBlocks)],
    await runDir("head", 0),
    headBlocks,
    {
      format: "firehose",
      catchUpBlockAgeMs: 0,
    },
  );
  const b = median(base);
  const z = median(zstd);
  const mb = bytes / 1e6;
  const label = `${profile.name} (${BLOCKS} blocks, ${(bytes / BLOCKS / 1024).toFixed(1)} KiB each)`;
  const row = (name, seconds) => [
    label,
    name,
    (BLOCKS / seconds).toFixed(0),
    (mb / seconds).toFixed(1),
    (b / seconds).toFixed(2),
    (z / seconds).toFixed(2),
  ];
  const written = (list) => median(list.map((r) => r.written));
  const uploaded = (list) => median(list.map((r) => r.uploaded));
  const rows = [
    row("bare line splitting (baseline)", b),
    row("zstd -3 of the same bytes (baseline)", z),
    row("Firehose, catching up, in the work dir", written(runs.firehose)),
    row("... and uploaded to the file:// store", uploaded(runs.firehose)),
    row("... with two decoding threads", written(runs.firehoseTwo)),
    row("Firehose, a file per block, in the work dir", written(runs.firehoseLive)),
    row("dmlog, catching up, in the work dir", written(runs.dmlog)),
    row("dmlog, a file per block, in the work dir", written(runs.dmlogLive)),
    row("Firehose decoding alone, one thread (ceiling)", median(decode)),
  ];
  const rate = BLOCKS / written(runs.firehose);
  const warm = runs.firehose.every((r) => r.warmWritten !== undefined)
    ? (BLOCKS - WARM_BLOCKS) / median(runs.firehose.map((r) => r.warmWritten))
    : undefined;
  const warmText =
    warm === undefined
      ? ""
      : ` (${warm.toFixed(0)} blocks/s past the first ${WARM_BLOCKS}, whose rate includes starting and warming the threads)`;
  const waited = median(runs.firehose.map((r) => r.waited));
  const verdict =
    `${profile.name}: Firehose catching up ${rate.toFixed(0)} blocks/s over ${BLOCKS} blocks${warmText} ` +
    `(goal >= 2000): ${rate >= 2000 ? "met" : "NOT met"}, ` +
    `${(z / written(runs.firehose)).toFixed(2)}x zstd -3 of the DMLOG bytes, ${runs.firehose[0].bundles} bundles, ` +
    `the reader held nodeos' output ${waited.toFixed(2)} s (room for 64 MiB of blocks, then it waits: catching up is paced by the writer); ` +
    `at the head (${headBlocks} blocks at ${HEAD_RATE}/s): read wait ${head.waited.toFixed(3)} s (goal 0): ${head.waited === 0 ? "met" : "NOT met"}, ` +
    `received to written p50 ${head.p50} ms, p99 ${head.p99} ms`;
  return { rows, verdict };
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

try {
  const results = [];
  const loadBefore = load();
  for (const profile of PROFILES) results.push(await runProfile(profile));
  console.log(
    `\nmindreader benchmark: leap 13 deep-mind through \`cat\`, median of ${ROUNDS} interleaved rounds; ${availableParallelism()} CPUs`,
  );
  console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after\n`);
  console.log(
    table(
      ["blocks", "reader", "blocks/s", "MB/s", "x splitting", "x zstd -3"],
      results.flatMap((r) => r.rows),
    ),
  );
  console.log("");
  for (const r of results) console.log(r.verdict);
} finally {
  await cleanup();
}
