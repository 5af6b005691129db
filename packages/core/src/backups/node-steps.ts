import { join } from "node:path";
import type { Logger } from "pino";
import type { Chain, HeadInfo } from "../chain/chain.js";
import type { JobContext } from "../jobs/job.js";
import type { NodeStatus } from "../operator/node-watch.js";
import { type FinalizerReport, type FinalizersLocation, finalizerReport, SAFETY_FILE } from "./finalizers.js";
import type { BackupProgress } from "./progress.js";

/** Starts the node after a job stopped it; a start failure is logged and rethrown. */
export async function startAfter(chain: Chain, logger: Logger, ctx: JobContext, after: string): Promise<void> {
  if (chain.status().state === "running") return;
  ctx.progress({ message: "starting the node" });
  try {
    await chain.start();
  } catch (error) {
    ctx.log(`the node did not start after the ${after}: ${(error as Error).message}`, "error");
    logger.error({ err: error }, `the node did not start after the ${after}`);
    throw error;
  }
}

/** Says what a restore left of the node's finalizer safety data: kept as it was, or absent (a new key is needed). */
export async function reportFinalizer(
  logger: Logger,
  ctx: JobContext,
  location: FinalizersLocation | undefined,
): Promise<FinalizerReport | null> {
  if (location === undefined) return null;
  const report = await finalizerReport(location);
  const path = join(report.dir, SAFETY_FILE);
  if (report.safetyFile === "kept") {
    ctx.log(`the node's finalizer safety file ${path} is kept as it was (a backup never restores it)`);
  } else {
    const message = `no finalizer safety file at ${path} (none is ever restored): if this node has a finalizer key, ${report.action}`;
    ctx.log(message, "warn");
    logger.warn({ dir: report.dir, action: report.action }, message);
  }
  return report;
}

/** Engine progress as job progress: bytes, with files and chunks in the message. */
export function bytesProgress(verb: string, p: BackupProgress) {
  return {
    current: p.current,
    total: p.total,
    unit: "bytes",
    message: `${verb}: ${p.filesDone}/${p.filesTotal} files, ${p.chunksDone}/${p.chunksTotal} chunks; ${p.message}`,
  };
}

/** Waits until the node is synced again after a job, saying so in the job's progress. */
export function waitSynced(node: Pick<NodeStatus, "waitSynced">, ctx: JobContext): Promise<HeadInfo | undefined> {
  ctx.progress({ message: "waiting until synced" });
  return node.waitSynced(ctx);
}
