import type { AppVariant } from "@manageos/core";

/** The eos-mindreader variant: eos flavour, mindreader on. */
export const variant: AppVariant = {
  name: "eos-mindreader",
  bin: "manageos-eos-mindreader",
  description: "manageos for EOS nodeos with deep-mind block files (mindreader): supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  defaults: {
    app: { name: "eos-mindreader", flavour: "eos" },
    mindreader: { enabled: true },
  },
};
