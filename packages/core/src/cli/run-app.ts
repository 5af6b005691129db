import type { DaemonParts } from "../daemon/serve.js";
import { clientCommands } from "./client/commands.js";
import { type CommandInstaller, runCli } from "./program.js";
import type { AppVariant } from "./variant.js";

/** Loads what a variant plugs into the daemon; called by `run` only, once the configuration is valid. */
export type DaemonPartsLoader = () => Promise<DaemonParts>;

/**
 * The whole of an app's entry point: the daemon made of the parts `loadParts` gives, the API client commands, and
 * the app's own `commands`. The daemon (HTTP server, storage, coordination, the node's superviser) is imported only
 * when `run` starts it, so `--version`, `--help` and the client commands load the CLI alone.
 */
export async function runApp(
  variant: AppVariant,
  loadParts: DaemonPartsLoader,
  options: { readonly commands?: readonly CommandInstaller[]; readonly argv?: readonly string[] } = {},
): Promise<never> {
  const code = await runCli(variant, options.argv ?? process.argv.slice(2), {
    daemon: async (config, deps) => {
      const [{ serveDaemon }, parts] = await Promise.all([import("../daemon/serve.js"), loadParts()]);
      return serveDaemon(config, deps, parts);
    },
    commands: [clientCommands, ...(options.commands ?? [])],
  });
  process.exit(code);
}
