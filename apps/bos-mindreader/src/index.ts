import { runApp } from "@manageos/core/cli";
import { blocksCommands } from "@manageos/mindreader/cli";
import { variant } from "./variant.js";

// The daemon's parts are imported by `run` alone, the mindreader by `run` and `blocks`: --version, --help and the
// client commands load the CLI only (`@manageos/mindreader/cli` is built into this file).
await runApp(
  variant,
  async () => {
    const [{ mindreaderDaemon }, { nodeosDaemon }] = await Promise.all([import("@manageos/mindreader"), import("@manageos/superviser")]);
    return mindreaderDaemon(nodeosDaemon);
  },
  { commands: [blocksCommands(() => import("@manageos/mindreader"))] },
);
