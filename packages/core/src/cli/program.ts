import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Config } from "../config/schema.js";
import { CoreErrors } from "../errors/core-errors.js";
import { isManageosError } from "../errors/manageos-error.js";
import { MANAGEOS_VERSION } from "../version.js";
import { RUN_FLAGS, runFlagsToTree } from "./run-flags.js";
import { type AppVariant, type Daemon, EXIT, unsupportedByVariant } from "./variant.js";

/** Extra subcommands an app or a later part adds (the API client commands). */
export type CommandInstaller = (program: Command, variant: AppVariant, exit: (code: number) => void, io: CliIo) => void;

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const DEFAULT_IO: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

/** Runs the app binary: `run` (the default) starts the daemon, other commands talk to it. Resolves with the exit code. */
export async function runCli(
  variant: AppVariant,
  argv: readonly string[],
  options: { daemon?: Daemon; commands?: CommandInstaller[]; io?: Partial<CliIo> } = {},
): Promise<number> {
  const io: CliIo = { ...DEFAULT_IO, ...options.io };
  let code: number = EXIT.ok;
  const exit = (c: number) => {
    code = c;
  };
  const program = new Command(variant.bin)
    .description(variant.description)
    .version(`${variant.bin} ${MANAGEOS_VERSION}`, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  const run = program
    .command("run", { isDefault: true })
    .description("run the daemon: supervise the node, serve the operator API and the public proxy")
    .option("-c, --config <file>", "YAML configuration file (manager.yaml); also MANAGEOS_CONFIG")
    .option("--set <path=value>", "set any configuration key, e.g. proxy.syncedMaxLag=30s (repeatable)", collect, [])
    .option("--print-config", "print the validated configuration as JSON, secrets redacted, and exit");
  for (const { flag, help, boolean, number } of RUN_FLAGS) {
    const option = new Option(boolean ? `--${flag}` : `--${flag} <value>`, help);
    run.addOption(number ? option.argParser(nonNegativeInt) : option);
  }
  run.action(async (flags: Record<string, unknown>) => {
    code = await runDaemon(variant, flags, io, options.daemon);
  });
  for (const install of options.commands ?? []) install(program, variant, exit, io);
  // `run` is the default command, so commander would take a mistyped command for run's arguments.
  const unknown = unknownCommand(program, argv);
  if (unknown !== undefined) {
    io.err(`${variant.bin}: ${unknown}\n(run with --help for usage)\n`);
    return EXIT.usage;
  }

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return code;
}

// Loads and validates configuration, then hands over to the daemon.
async function runDaemon(variant: AppVariant, flags: Record<string, unknown>, io: CliIo, daemon: Daemon | undefined): Promise<number> {
  const file = (flags.config as string | undefined) ?? io.env.MANAGEOS_CONFIG;
  // The schema (zod) and the YAML parser are loaded here, by `run` alone: the other commands start without them.
  const { loadConfig, redactConfig } = await import("../config/load.js");
  let config: Readonly<Config>;
  // Kept so a config reload reads the same sources again.
  const sources = { defaults: variant.defaults, file, env: io.env, flags: runFlagsToTree(flags), set: flags.set as string[] };
  try {
    config = await loadConfig(sources);
    // A valid configuration the app would run something else with (node.kind: geth and a nodeos chain) is refused.
    const unsupported = unsupportedByVariant(variant, config);
    if (unsupported.length > 0) throw CoreErrors.configInvalid(unsupported, { details: { problems: unsupported } });
  } catch (error) {
    if (!isManageosError(error)) throw error;
    io.err(`${variant.bin}: ${error.message}\n`);
    return EXIT.config;
  }
  if (flags.printConfig === true) {
    // Secrets (api.token, keys in node.env and node.configKeys, URL passwords) are never printed.
    io.out(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return EXIT.ok;
  }
  if (daemon === undefined) {
    io.err(`${variant.bin}: configuration is valid; this build has no daemon to run\n`);
    return EXIT.unavailable;
  }
  const { createLogger, flushLogger } = await import("../logging/logger.js");
  const logger = createLogger({ level: config.log.level, format: config.log.format, base: { app: variant.name } });
  try {
    return await daemon(config, { logger, variant, sources });
  } finally {
    // The last lines reach a consumer that reads; one that does not cannot hold the exit.
    await flushLogger(logger, LOG_FLUSH_TIMEOUT_MS);
  }
}

// How long the exit waits for the log's consumer to take the last lines.
const LOG_FLUSH_TIMEOUT_MS = 2_000;

/** `unknown command 'stauts' (did you mean status?)` when the first argument is a word no command has; else undefined. */
export function unknownCommand(program: Command, argv: readonly string[]): string | undefined {
  const word = argv[0];
  if (word === undefined || word.startsWith("-")) return undefined;
  const names = ["help", ...program.commands.flatMap((command) => [command.name(), ...command.aliases()])];
  if (names.includes(word)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return `unknown command '${word}'${best === undefined ? "" : ` (did you mean ${best.name}?)`}`;
}

// Edits (insert, delete, substitute, swap two neighbours) from a to b: the optimal string alignment distance.
function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Map<number, number>();
  const at = (i: number, j: number) => d.get(i * width + j) ?? 0;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      let value = Math.max(i, j);
      if (i > 0 && j > 0) {
        value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      d.set(i * width + j, value);
    }
  }
  return at(a.length, b.length);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
}
