import type { Chain, HeadInfo } from "../chain/chain.js";
import type { ExitResult } from "../chain/types.js";
import type { ProductionService } from "../operator/services.js";
import { BackupErrors } from "./errors.js";

/** Resolves once the node's head advances after a start; rejects when it exits, on abort, or after `timeoutMs`. */
export function waitHeadAdvancing(chain: Chain, signal: AbortSignal, timeoutMs: number): Promise<HeadInfo> {
  return new Promise<HeadInfo>((resolve, reject) => {
    let first: number | undefined;
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      chain.off("head", onHead);
      chain.off("exit", onExit);
      signal.removeEventListener("abort", onAbort);
      settle();
    };
    const onHead = (head: HeadInfo) => {
      if (first === undefined) first = head.headBlockNum;
      else if (head.headBlockNum > first) finish(() => resolve(head));
    };
    const onExit = (exit: ExitResult) =>
      finish(() => reject(BackupErrors.nodeExited(`exit code ${exit.exitCode ?? "none"}, signal ${exit.signal ?? "none"}`)));
    const onAbort = () => finish(() => reject(signal.reason));
    const timer = setTimeout(
      () => finish(() => reject(BackupErrors.nodeExited(`its head did not advance within ${Math.round(timeoutMs / 1000)}s`))),
      timeoutMs,
    );
    chain.on("head", onHead);
    chain.on("exit", onExit);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    else if (chain.status().state !== "running") finish(() => reject(BackupErrors.nodeExited(`it is ${chain.status().state}`)));
  });
}

/** The production state when we are on the hook to produce (`producing`, `producing-next`), else undefined. */
export function onTheHook(production: ProductionService | undefined): string | undefined {
  if (production === undefined) return undefined;
  const status = production.status();
  for (const key of ["state", "productionState"]) {
    const value = status[key];
    if (value === "producing" || value === "producing-next") return value;
  }
  return undefined;
}
