import { isManageosError } from "@manageos/core";
import { PeerClient } from "./peer-client.js";
import { peerApis, signs, viewPeers } from "./peers.js";
import type { Production } from "./production-service.js";

/** Where a takeover after reboot stands, as the status API shows it. */
export interface TakeoverStatus {
  readonly state: "waiting-sync" | "asking" | "took-over" | "skipped" | "failed";
  readonly reason?: string;
  readonly from?: string;
  readonly at: number;
  readonly report?: Record<string, unknown>;
}

/**
 * Takeover after reboot: once synced and watching for a claim window, asks the node that produces now to hand
 * production over to us (it pauses at the end of its round, then asks us to resume safely). Never when another node
 * claimed production within the claim window, nor when nobody produces (a person decides then).
 */
export async function takeover(production: Production, report: (status: TakeoverStatus) => void): Promise<void> {
  const { options, coordinator, clock, logger } = production;
  const signal = production.closing;
  report({ state: "waiting-sync", at: clock.now() });
  const ready = () => production.readyToResume() === undefined;
  // Synced: 5 blocks at about the interval, and watched for a claim window (a resume needs both).
  while (!(await production.waitUntil(ready, clock.now() + 60_000, signal))) {
    if (signal.aborted) return;
  }
  if (signal.aborted) return;
  const skip = (reason: string, from?: string) => {
    logger.info({ reason, from }, "takeover not attempted");
    report({ state: "skipped", reason, ...(from === undefined ? {} : { from }), at: clock.now() });
  };
  if (await production.isPaused().catch(() => true) === false) return skip("this node already produces");
  const claim = await coordinator.lastClaim(options.producerName).catch(() => undefined);
  if (claim !== undefined && claim.node !== coordinator.nodeId && claim.released === undefined && clock.now() - claim.at < options.claimWindow) {
    return skip(`${claim.node} claimed production ${clock.now() - claim.at} ms ago, within the claim window`);
  }
  const apis = await peerApis(coordinator, options.peers ?? [], production.api);
  const holder = coordinator.kind === "local" ? undefined : await coordinator.holder(options.producerName).catch(() => undefined);
  const views = await viewPeers(apis, options.peerToken, coordinator.nodeId);
  const current = views.find((v) => signs(v) && (holder === undefined || v.node === holder));
  if (current === undefined) return skip(holder === undefined ? "no peer produces" : `the lease holder ${holder} did not answer`);
  if (production.api === null) return skip("our API address is unknown");
  report({ state: "asking", from: current.api, at: clock.now() });
  logger.info({ from: current.api, node: current.node }, "takeover: asking the producer to hand production over");
  const to = encodeURIComponent(production.api);
  try {
    const answer = (await new PeerClient(current.api, options.peerToken, 10_000).call(
      "POST",
      `/v1/nodeos/handoff?sync=true&to=${to}`,
      options.pauseTimeout + 60_000,
    )) as { result?: Record<string, unknown> } | undefined;
    const result = answer?.result ?? {};
    logger.info({ from: current.api, result }, "takeover: production moved here");
    report({ state: "took-over", from: current.api, at: clock.now(), report: result });
  } catch (error) {
    const reason = isManageosError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
    logger.warn({ from: current.api, reason }, "takeover failed");
    report({ state: "failed", from: current.api, reason, at: clock.now() });
  }
}
