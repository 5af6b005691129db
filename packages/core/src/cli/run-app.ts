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
  let daemonRan = false;
  const code = await runCli(variant, options.argv ?? process.argv.slice(2), {
    daemon: async (config, deps) => {
      daemonRan = true;
      const [{ serveDaemon }, parts] = await Promise.all([import("../daemon/serve.js"), loadParts()]);
      return serveDaemon(config, deps, parts);
    },
    commands: [clientCommands, ...(options.commands ?? [])],
  });
  // A command's output goes out whole, however slowly it is read. The daemon's log has had its bounded flush: a
  // consumer that does not read cannot hold the daemon's exit.
  if (!daemonRan) {
    await written(process.stdout);
    await written(process.stderr);
  }
  process.exit(code);
}

// Resolves once what was written to a standard stream has left the process: a pipe to a slow reader (`| less`, a test
// collecting `blocks print`) holds it in the stream, and process.exit would cut it at the pipe's 64 KiB. A reader that
// went away (EPIPE) ends the wait too.
function written(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("error", () => resolve());
    stream.write("", () => resolve());
  });
}
