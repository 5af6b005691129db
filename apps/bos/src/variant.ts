import type { AppVariant } from "@manageos/core";

/** The bos variant: bos flavour, mindreader off. */
export const variant: AppVariant = {
  name: "bos",
  bin: "manageos-bos",
  description: "manageos for BOS nodeos: supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  defaults: {
    app: { name: "bos", flavour: "bos" },
    mindreader: { enabled: false },
  },
};
