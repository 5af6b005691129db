import type { AppVariant } from "@manageos/core";

/** The bos-mindreader variant: bos flavour, mindreader on. */
export const variant: AppVariant = {
  name: "bos-mindreader",
  bin: "manageos-bos-mindreader",
  description: "manageos for BOS nodeos with deep-mind block files (mindreader): supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  defaults: {
    app: { name: "bos-mindreader", flavour: "bos" },
    mindreader: { enabled: true },
  },
};
