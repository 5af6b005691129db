import type { z } from "zod";
import { CoreErrors } from "../errors/core-errors.js";
import { type Config, type ConfigInput, configSchema } from "./schema.js";
import { type ConfigTree, envConfig, flagConfig, mergeTrees, readYamlConfig } from "./sources.js";

/** Where configuration comes from, in increasing precedence. */
export interface ConfigSources {
  /** The variant app's defaults. */
  defaults?: ConfigInput;
  /** Path of the YAML file (`--config`, the ConfigMap's manager.yaml). */
  file?: string;
  /** Environment; `MANAGEOS_*` variables are read. */
  env?: NodeJS.ProcessEnv;
  /** Named flags already turned into a tree (`--bp-mode` -> `{bp: {enabled: true}}`). */
  flags?: ConfigTree;
  /** `--set path=value` assignments, applied last. */
  set?: readonly string[];
}

/** Loads, merges and validates configuration; throws CORE_ERR_CONFIG_INVALID listing every `path: message`. */
export async function loadConfig(sources: ConfigSources = {}): Promise<Readonly<Config>> {
  const file = sources.file === undefined ? {} : await readYamlConfig(sources.file);
  const env = envConfig(sources.env ?? {});
  const set = flagConfig(sources.set ?? []);
  if (set.problems.length > 0) throw CoreErrors.configInvalid(set.problems, { details: { problems: set.problems } });
  const merged = mergeTrees((sources.defaults ?? {}) as ConfigTree, file, env, sources.flags ?? {}, set.tree);
  return validateConfig(merged);
}

/** Validates a merged tree against the schema and freezes the result. */
export function validateConfig(tree: unknown): Readonly<Config> {
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const problems = formatIssues(result.error.issues);
    throw CoreErrors.configInvalid(problems, { details: { problems } });
  }
  return deepFreeze(result.data);
}

/** One `path: message` line per problem; unknown keys get a line each. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${base ? `${base}.` : ""}${key}: unknown key`);
    } else {
      lines.push(`${base || "(root)"}: ${issue.message}`);
    }
  }
  return lines;
}

/** Freezes a value and everything inside it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** What `--print-config` shows in place of a secret. */
export const REDACTED = "<redacted>";
// Settings that are secrets whatever their value.
const SECRET_PATHS = new Set(["api.token"]);
// Maps whose entries are secrets when their name says so: nodeos' environment, and config.ini keys (signature-provider
// and peer-private-key lines hold private keys).
const NAMED_SECRET_MAPS = new Set(["node.env", "node.configKeys"]);
const SECRET_NAME = /key|token|secret|passw|credential|private|signature-provider/i;
// Antelope private keys wherever they are (a signature-provider in node.extraArgs): `=KEY:5K...`, `PVT_K1_...`, `PVT_BLS_...`.
const PRIVATE_KEY = /KEY:5[HJK]|PVT_[A-Z0-9]+_/;
// `scheme://user:password@host`: the password of a URL (a blocksigner, peer or etcd endpoint).
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)[^/@\s]*@/i;

/** A copy of the configuration with every secret replaced by `<redacted>`, for printing. */
export function redactConfig(config: unknown): unknown {
  return redact(config, []);
}

function redact(value: unknown, path: readonly string[]): unknown {
  const at = path.join(".");
  if (SECRET_PATHS.has(at)) return REDACTED;
  if (NAMED_SECRET_MAPS.has(path.slice(0, -1).join(".")) && SECRET_NAME.test(path.at(-1) ?? "")) {
    return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  }
  if (typeof value === "string") return PRIVATE_KEY.test(value) ? REDACTED : value.replace(URL_PASSWORD, `$1${REDACTED}@`);
  if (Array.isArray(value)) return value.map((item) => redact(item, path));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redact(inner, [...path, key])]));
  }
  return value;
}
