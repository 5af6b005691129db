import type { AppVariant } from "@manageos/core/cli";

/** The eos-mindreader variant: eos flavour, mindreader on. */
export const variant: AppVariant = {
  name: "eos-mindreader",
  bin: "manageos-eos-mindreader",
  description:
    "manageos for EOS nodeos with deep-mind block files (mindreader): supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  // nodeos only: geth is not wired into any app yet, so `node.kind: geth` is refused rather than ignored.
  nodeKinds: ["nodeos"],
  defaults: {
    app: { name: "eos-mindreader", flavour: "eos" },
    mindreader: { enabled: true },
  },
};
