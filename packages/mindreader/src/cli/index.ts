import type { CliIo, CommandInstaller } from "@manageos/core/cli";
import type { CheckOptions, ToolIo } from "../tools/index.js";

/** What the `blocks` commands run, loaded only when one runs (the package, `import("@manageos/mindreader")`). */
export interface BlocksTools {
  printBlocks(file: string, io: ToolIo): Promise<number>;
  checkBlocks(store: string, io: ToolIo, opts?: CheckOptions): Promise<number>;
}

// Exit codes, as the apps' CLI has them.
const FAILURE = 1;
const USAGE = 64;

/**
 * `blocks print <file>` and `blocks check <store>`: the block files' commands of the mindreader apps. Built into the
 * app's CLI; `load` imports the mindreader only when one of them runs, so --help and the other commands never load it.
 */
export function blocksCommands(load: () => Promise<BlocksTools>): CommandInstaller {
  return (program, _variant, exit, io) => {
    const blocks = program.command("blocks").description("read block files: print their blocks, check a store's merged bundles");
    blocks
      .command("print <file>")
      .description("print every block of a one-block file or a merged bundle (path or store URL) as JSON lines")
      .action(async (file: string) => exit(await run(io, async () => (await load()).printBlocks(file, io))));
    blocks
      .command("check <store>")
      .description("list holes and unlinkable blocks in a block store's merged bundles (exit 1 when any)")
      .option("--bundle-size <n>", "blocks per bundle", "100")
      .action(async (store: string, flags: { bundleSize: string }) => {
        const bundleSize = Number(flags.bundleSize);
        if (!Number.isInteger(bundleSize) || bundleSize < 1) {
          io.err(`--bundle-size ${flags.bundleSize}: expected a positive whole number\n`);
          return exit(USAGE);
        }
        exit(await run(io, async () => (await load()).checkBlocks(store, io, { bundleSize })));
      });
  };
}

// Runs a command: a failure is its message (and code) on stderr and exit code 1.
async function run(io: CliIo, command: () => Promise<number>): Promise<number> {
  try {
    return await command();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    io.err(`${typeof code === "string" ? `${code}: ` : ""}${(error as Error).message}\n`);
    return FAILURE;
  }
}
