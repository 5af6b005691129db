import { type Chain, type CommandRoute, isProducer, type Operator, OperatorErrors, type ProductionService } from "@manageos/core";

/** What the production commands drive: the node, and block-producer mode when it is on. */
export interface ProductionCommandDeps {
  readonly chain: Chain;
  readonly production: ProductionService | undefined;
}

/** nodeos' production commands, at node-manager's paths with their aliases: at once, or at a safe moment (bp mode). */
export function productionCommandRoutes(deps: ProductionCommandDeps): readonly CommandRoute[] {
  const { production } = deps;
  const bpMode = (command: string): ProductionService => {
    if (production === undefined) throw OperatorErrors.notBpMode(command);
    return production;
  };
  return [
    { path: "/v1/nodeos/pause_production", alias: "/v1/pause_production", submit: (op, _q, o) => setProduction(op, deps, true, o) },
    { path: "/v1/nodeos/resume_production", alias: "/v1/resume_production", submit: (op, _q, o) => setProduction(op, deps, false, o) },
    {
      path: "/v1/nodeos/safely_pause_production",
      alias: "/v1/safely_pause_production",
      submit: (op, _q, o) => {
        const service = bpMode("safely_pause_production");
        return op.submit("safely_pause_production", {}, (ctx) => service.safelyPause(ctx), o);
      },
    },
    {
      path: "/v1/nodeos/safely_resume_production",
      alias: "/v1/safely_resume_production",
      // A handoff names the last block the paused node produced, so its blocks do not count against the claim window.
      // skip_unreachable_peers: a person's override of the fail-closed rule for peers that do not answer.
      query: { released_through: { type: "integer", minimum: 0 }, skip_unreachable_peers: { type: "boolean" } },
      submit: (op, q, o) => {
        const service = bpMode("safely_resume_production");
        const releasedThrough = q.released_through as number | undefined;
        const skipUnreachablePeers = q.skip_unreachable_peers === true;
        if (releasedThrough === undefined && !skipUnreachablePeers)
          return op.submit("safely_resume_production", {}, (ctx) => service.safelyResume(ctx), o);
        const params = {
          ...(releasedThrough === undefined ? {} : { releasedThrough }),
          ...(skipUnreachablePeers ? { skipUnreachablePeers } : {}),
        };
        return op.submit("safely_resume_production", params, (ctx) => service.safelyResume(ctx, { ...params, log: ctx.log }), o);
      },
    },
    {
      path: "/v1/nodeos/handoff",
      alias: "/v1/handoff",
      query: { to: { type: "string", pattern: "^https?://[^\\s]+$" } },
      required: ["to"],
      submit: (op, q, o) => {
        if (production?.handoff === undefined) throw OperatorErrors.notBpMode("handoff");
        const to = q.to as string;
        return op.submit("handoff", { to }, (ctx) => production.handoff?.(ctx, { to }) as Promise<unknown>, o);
      },
    },
  ];
}

// Pauses or resumes production through nodeos' producer API, at once.
function setProduction(operator: Operator, deps: ProductionCommandDeps, paused: boolean, options: { queue: boolean }) {
  const { chain, production } = deps;
  if (!isProducer(chain)) throw OperatorErrors.notProducer();
  // In bp mode only the safe resume opens the signing fence: an immediate resume could not sign anyway.
  if (!paused && production !== undefined) throw OperatorErrors.unsafeInBpMode("resume_production", "safely_resume_production");
  return operator.submit(
    paused ? "pause_production" : "resume_production",
    {},
    async () => {
      if (paused) await (production?.pauseNow?.() ?? chain.pauseProduction());
      else await chain.resumeProduction();
      return { paused: await chain.isProductionPaused() };
    },
    options,
  );
}
