import { runApp } from "@manageos/core/cli";
import { variant } from "./variant.js";

// The daemon's parts are imported by `run` alone: --version, --help and the client commands load the CLI only.
await runApp(variant, async () => {
  const [{ mindreaderDaemon }, { nodeosDaemon }] = await Promise.all([import("@manageos/mindreader"), import("@manageos/superviser")]);
  return mindreaderDaemon(nodeosDaemon);
});
