import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { TestkitErrors } from "../errors.js";
import { type ConfigEntry, parseConfigIni } from "./config-ini.js";
import { COMPOSING_OPTIONS, isKnownOption, SHORT_OPTIONS, SWITCH_OPTIONS } from "./known-options.js";

/** Raw option values by name, in the order they were given (command line first, like boost). */
export type RawOptions = Map<string, string[]>;

/** Parses nodeos' command line into raw options; unknown options (per flavour: leap 5 or Spring) throw TK_ERR_UNKNOWN_OPTION. */
export function parseArgv(argv: readonly string[], spring = false): RawOptions {
  const out: RawOptions = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let name: string;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      value = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith("-") && arg.length > 1) {
      const long = SHORT_OPTIONS.get(arg.slice(1, 2));
      if (long === undefined) throw TestkitErrors.unknownOption(arg);
      name = long;
      value = arg.length > 2 ? arg.slice(2) : undefined;
    } else {
      throw TestkitErrors.unknownOption(arg);
    }
    if (!isKnownOption(name, spring)) throw TestkitErrors.unknownOption(name);
    if (value === undefined) {
      if (SWITCH_OPTIONS.has(name)) value = "true";
      else {
        const next = argv[i + 1];
        if (next === undefined) throw TestkitErrors.badOptionValue(name, "");
        value = next;
        i++;
      }
    }
    add(out, name, value);
  }
  return out;
}

/** Adds config.ini entries under the command line's: CLI wins for single options, composing ones append. */
export function mergeConfigFile(cli: RawOptions, entries: readonly ConfigEntry[], spring = false): RawOptions {
  const fromFile: RawOptions = new Map();
  for (const { key, value } of entries) {
    if (!isKnownOption(key, spring, false)) throw TestkitErrors.unknownOption(key);
    add(fromFile, key, value);
  }
  const merged: RawOptions = new Map(cli);
  for (const [key, values] of fromFile) {
    const existing = merged.get(key);
    if (existing === undefined) merged.set(key, values);
    else if (COMPOSING_OPTIONS.has(key)) merged.set(key, [...existing, ...values]);
  }
  return merged;
}

function add(out: RawOptions, name: string, value: string): void {
  const existing = out.get(name);
  if (existing === undefined) out.set(name, [value]);
  else if (COMPOSING_OPTIONS.has(name)) existing.push(value);
  else throw TestkitErrors.multipleOccurrences(name);
}

/** Where nodeos looks for its directories when none is given. */
export function resolveDirs(cli: RawOptions): { configDir: string; dataDir: string; configFile: string } {
  const base = join(homedir(), ".local", "share", "eosio", "nodeos");
  const configDir = resolve(first(cli, "config-dir") ?? join(base, "config"));
  const dataDir = resolve(first(cli, "data-dir") ?? join(base, "data"));
  const config = first(cli, "config") ?? "config.ini";
  return { configDir, dataDir, configFile: isAbsolute(config) ? config : join(configDir, config) };
}

/** Reads config.ini; a missing file is fine (nodeos writes a default one). */
export async function readConfigFile(path: string): Promise<ConfigEntry[]> {
  try {
    return parseConfigIni(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The first value of an option, if given. */
export function first(options: RawOptions, name: string): string | undefined {
  return options.get(name)?.[0];
}

/** A boolean option: switches and `= true|false|1|0`. */
export function flag(options: RawOptions, name: string): boolean {
  const value = first(options, name);
  if (value === undefined) return false;
  if (value === "true" || value === "1" || value === "yes" || value === "on") return true;
  if (value === "false" || value === "0" || value === "no" || value === "off") return false;
  throw TestkitErrors.badOptionValue(name, value);
}

/** An integer option with a default. */
export function integer(options: RawOptions, name: string, fallback: number): number {
  const value = first(options, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw TestkitErrors.badOptionValue(name, value);
  return n;
}
