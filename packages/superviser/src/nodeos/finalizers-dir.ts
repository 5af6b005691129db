import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { getValues, parseIni } from "./config-ini.js";
import type { NodeosChainOptions } from "./options.js";

/** nodeos' default `finalizers-dir`, relative to the data dir. */
export const DEFAULT_FINALIZERS_DIR = "finalizers";

/**
 * Where nodeos (Spring) keeps its finalizers' `safety.dat`, absolute: `--finalizers-dir` among the extra arguments
 * (the command line wins in nodeos), else `finalizers-dir` of the config keys, else of the config.ini template, else
 * `<data-dir>/finalizers`; a relative path is relative to the data dir, as nodeos reads it.
 */
export async function finalizersDirOf(
  o: Pick<NodeosChainOptions, "dataDir" | "extraArgs" | "configKeys" | "configTemplate">,
): Promise<string> {
  const dir = fromArgs(o.extraArgs) ?? fromKeys(o.configKeys) ?? (await fromTemplate(o.configTemplate)) ?? DEFAULT_FINALIZERS_DIR;
  return isAbsolute(dir) ? resolve(dir) : resolve(o.dataDir, dir);
}

function fromArgs(args: readonly string[]): string | undefined {
  let found: string | undefined;
  for (const [i, arg] of args.entries()) {
    if (arg === "--finalizers-dir") found = args[i + 1] ?? found;
    else if (arg.startsWith("--finalizers-dir=")) found = arg.slice("--finalizers-dir=".length);
  }
  return found;
}

function fromKeys(keys: Record<string, string | readonly string[]>): string | undefined {
  const value = keys["finalizers-dir"];
  return typeof value === "string" ? value : value?.at(-1);
}

async function fromTemplate(template: string | undefined): Promise<string | undefined> {
  if (template === undefined) return undefined;
  return getValues(parseIni(await readFile(template, "utf8")), "finalizers-dir").at(-1);
}
