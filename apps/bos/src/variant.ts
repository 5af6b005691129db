import type { AppVariant } from "@manageos/core/cli";

/** The bos variant: bos flavour, mindreader off. */
export const variant: AppVariant = {
  name: "bos",
  bin: "manageos-bos",
  description: "manageos for BOS nodeos: supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  // nodeos only: geth is not wired into any app yet, so `node.kind: geth` is refused rather than ignored.
  nodeKinds: ["nodeos"],
  defaults: {
    app: { name: "bos", flavour: "bos" },
    mindreader: { enabled: false },
  },
};
