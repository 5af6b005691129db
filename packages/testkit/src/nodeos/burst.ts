import { writeFile } from "node:fs/promises";
import type { Writable } from "node:stream";
import { formatTime } from "./fc-log.js";

/** Which pipes a burst goes to. */
export type BurstStream = "stderr" | "stdout";

/** A burst of fc log lines (NODEOS_SIM_BURST_*), written as fast as the pipes take them once startup is done. */
export interface BurstSpec {
  /** Lines per stream; with `bytes`, whichever is reached first. */
  readonly lines: number;
  /** Bytes per stream. */
  readonly bytes: number;
  /** Bytes of each line with its newline (at least the fc prefix; longer lines are padded). */
  readonly lineBytes: number;
  readonly streams: readonly BurstStream[];
  /** Written once every line was taken by the pipe: `{"stderr":{"lines":N,"bytes":B},"ms":T}`. */
  readonly doneFile: string | undefined;
}

/** What a burst wrote, per stream. */
export type BurstReport = Partial<Record<BurstStream, { lines: number; bytes: number }>> & { ms: number; stopped: boolean };

const CHUNK = 64 * 1024;
const SITE = "net_plugin.cpp:3456";

/** The burst NODEOS_SIM_BURST_LINES / _BYTES / _LINE_BYTES / _STREAM / _DONE_FILE ask for; undefined when neither count is set. */
export function readBurstSpec(env: NodeJS.ProcessEnv): BurstSpec | undefined {
  const lines = count(env.NODEOS_SIM_BURST_LINES);
  const bytes = count(env.NODEOS_SIM_BURST_BYTES);
  if (lines === undefined && bytes === undefined) return undefined;
  const stream = env.NODEOS_SIM_BURST_STREAM ?? "stderr";
  return {
    lines: lines ?? Number.POSITIVE_INFINITY,
    bytes: bytes ?? Number.POSITIVE_INFINITY,
    lineBytes: count(env.NODEOS_SIM_BURST_LINE_BYTES) ?? 180,
    streams: stream === "both" ? ["stderr", "stdout"] : stream === "stdout" ? ["stdout"] : ["stderr"],
    doneFile: env.NODEOS_SIM_BURST_DONE_FILE || undefined,
  };
}

/**
 * Writes the burst: net_plugin info lines in nodeos' fc layout, `burst <stream> line <n>` padded to `lineBytes`, each
 * stream in 64 KiB writes that wait for the pipe to take the last (nodeos blocks on a full pipe; the simulator waits
 * without blocking its event loop, so a TERM still stops it between writes). Resolves with what was written.
 */
export async function runBurst(spec: BurstSpec, stopping: () => boolean): Promise<BurstReport> {
  const started = Date.now();
  const results = await Promise.all(
    spec.streams.map((name) => burstOn(name === "stdout" ? process.stdout : process.stderr, name, spec, stopping)),
  );
  const report: BurstReport = { ms: Date.now() - started, stopped: stopping() };
  spec.streams.forEach((name, i) => {
    report[name] = results[i];
  });
  if (spec.doneFile !== undefined) await writeFile(spec.doneFile, `${JSON.stringify(report)}\n`);
  return report;
}

// One stream's share of the burst.
async function burstOn(
  stream: Writable,
  name: BurstStream,
  spec: BurstSpec,
  stopping: () => boolean,
): Promise<{ lines: number; bytes: number }> {
  let lines = 0;
  let bytes = 0;
  while (lines < spec.lines && bytes < spec.bytes && !stopping()) {
    let chunk = "";
    const prefix = `info  ${formatTime(Date.now())} net-0     ${SITE.padEnd(29)} ${"operator()".padEnd(20)} ] burst ${name} line `;
    while (chunk.length < CHUNK && lines < spec.lines && bytes + chunk.length < spec.bytes) {
      const head = `${prefix}${lines + 1}`;
      const line = `${head}${padding(spec.lineBytes - head.length - 1)}\n`;
      chunk += line;
      lines++;
    }
    bytes += chunk.length;
    await written(stream, chunk);
  }
  return { lines, bytes };
}

// Resolves once the pipe has taken the chunk (the write's callback), as a blocking write would return.
function written(stream: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(chunk, (error) => (error ? reject(error) : resolve())));
}

const PADDING = new Map<number, string>();

// ` ....` making a line of the asked length; made once per length.
function padding(length: number): string {
  if (length < 2) return "";
  let pad = PADDING.get(length);
  if (pad === undefined) {
    pad = ` ${".".repeat(length - 1)}`;
    PADDING.set(length, pad);
  }
  return pad;
}

function count(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const m = /^(\d+)\s*(|K|KiB|M|MiB|G|GiB)$/i.exec(raw.trim());
  if (m === null) return undefined;
  const unit = (m[2] ?? "").charAt(0).toUpperCase();
  return Number(m[1]) * (unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1);
}
