import type { AppVariant } from "@manageos/core";

/** The eos variant: eos flavour, mindreader off. */
export const variant: AppVariant = {
  name: "eos",
  bin: "manageos-eos",
  description: "manageos for EOS nodeos: supervision, metrics, gated API proxy, backups and restore, safe block-producer handoff.",
  defaults: {
    app: { name: "eos", flavour: "eos" },
    mindreader: { enabled: false },
  },
};
