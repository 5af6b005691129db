import type { EngineContext } from "./context.js";
import { listBackupRefs } from "./catalog.js";
import { BackupErrors } from "./errors.js";

/** Which backups to keep. */
export interface RetentionPolicy {
  readonly chainId: string;
  /** Keep the newest N. */
  readonly keepLast?: number;
  /** Drop backups older than this many milliseconds. */
  readonly maxAge?: number;
}

/** What retention removed and kept, newest first. */
export interface RetentionResult {
  readonly removed: string[];
  readonly kept: string[];
}

/**
 * Deletes manifests beyond `keepLast` or older than `maxAge`; the newest backup is always kept.
 * Their chunks go at the next gc.
 */
export async function runRetention(ctx: EngineContext, policy: RetentionPolicy): Promise<RetentionResult> {
  if (policy.keepLast !== undefined && (!Number.isInteger(policy.keepLast) || policy.keepLast < 1)) {
    throw BackupErrors.args(`keepLast must be a positive integer, not ${policy.keepLast}`);
  }
  const now = ctx.now().getTime();
  const refs = await listBackupRefs(ctx.store, policy.chainId);
  const removed: string[] = [];
  const kept: string[] = [];
  for (const [index, ref] of refs.entries()) {
    const tooMany = policy.keepLast !== undefined && index >= policy.keepLast;
    const tooOld = policy.maxAge !== undefined && now - ref.createdAt.getTime() > policy.maxAge;
    if (index > 0 && (tooMany || tooOld)) {
      await ctx.store.delete(ref.key);
      removed.push(ref.name);
    } else {
      kept.push(ref.name);
    }
  }
  if (removed.length > 0) ctx.logger.info({ chainId: policy.chainId, removed }, "backups removed by retention");
  return { removed, kept };
}
