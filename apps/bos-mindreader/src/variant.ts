import type { AppVariant } from "@manageos/core/cli";

/** The bos-mindreader variant: bos flavour, mindreader on. */
export const variant: AppVariant = {
  name: "bos-mindreader",
  bin: "manageos-bos-mindreader",
  description:
    "manageos for BOS nodeos with deep-mind block files (mindreader): supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  // nodeos only: geth is not wired into any app yet, so `node.kind: geth` is refused rather than ignored.
  nodeKinds: ["nodeos"],
  defaults: {
    app: { name: "bos-mindreader", flavour: "bos" },
    mindreader: { enabled: true },
  },
};
