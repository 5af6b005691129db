import { type DaemonParts, serveDaemon } from "../daemon/serve.js";
import { clientCommands } from "./client/commands.js";
import { runCli } from "./program.js";
import type { AppVariant } from "./variant.js";

/** The whole of an app's entry point: the daemon made of `parts`, and the API client commands. */
export async function runApp(variant: AppVariant, parts: DaemonParts, argv = process.argv.slice(2)): Promise<never> {
  const code = await runCli(variant, argv, {
    daemon: (config, deps) => serveDaemon(config, deps, parts),
    commands: [clientCommands],
  });
  process.exit(code);
}
