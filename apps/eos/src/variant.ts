import type { AppVariant } from "@manageos/core/cli";

/** The eos variant: eos flavour, mindreader off. */
export const variant: AppVariant = {
  name: "eos",
  bin: "manageos-eos",
  description: "manageos for EOS nodeos: supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  // nodeos only: geth is not wired into any app yet, so `node.kind: geth` is refused rather than ignored.
  nodeKinds: ["nodeos"],
  defaults: {
    app: { name: "eos", flavour: "eos" },
    mindreader: { enabled: false },
  },
};
