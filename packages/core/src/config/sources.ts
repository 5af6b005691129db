import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { CoreErrors } from "../errors/core-errors.js";
import { type ConfigTree, setPath } from "./tree.js";

export type { ConfigTree };

/** Environment variables read by the CLI client, not by the configuration. */
export const CLIENT_ENV = new Set(["MANAGEOS_API", "MANAGEOS_TOKEN", "MANAGEOS_CONFIG"]);
const ENV_PREFIX = "MANAGEOS_";

/** Reads the YAML config file; a missing file, bad YAML or a non-mapping is a coded error. */
export async function readYamlConfig(path: string): Promise<ConfigTree> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw CoreErrors.configFileRead(path, (error as Error).message, { cause: error });
  }
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const reason = error instanceof YAMLParseError ? (error.message.split("\n")[0] ?? error.message) : String(error);
    throw CoreErrors.configYaml(path, reason, { cause: error });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw CoreErrors.configYaml(path, "the top level must be a mapping of keys to values");
  }
  return value as ConfigTree;
}

/** `SYNCED_MAX_LAG` -> `syncedMaxLag`. */
function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Turns `MANAGEOS_PROXY__SYNCED_MAX_LAG=30s` into `{proxy: {syncedMaxLag: "30s"}}`; `__` separates levels. */
export function envConfig(env: NodeJS.ProcessEnv): ConfigTree {
  const tree: ConfigTree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || CLIENT_ENV.has(name) || raw === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).split("__").map(camel);
    setPath(tree, path, scalar(raw));
  }
  return tree;
}

/** Turns `["proxy.listen=0.0.0.0:9999", "bp.enabled=true"]` into a tree; a malformed entry is reported. */
export function flagConfig(assignments: readonly string[]): { tree: ConfigTree; problems: string[] } {
  const tree: ConfigTree = {};
  const problems: string[] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) {
      problems.push(`--set ${assignment}: expected path=value, such as proxy.listen=0.0.0.0:9999`);
      continue;
    }
    setPath(tree, assignment.slice(0, eq).split("."), scalar(assignment.slice(eq + 1)));
  }
  return { tree, problems };
}

/** Reads a value given as text: booleans, plain numbers and YAML flow lists/maps; everything else stays text. */
export function scalar(raw: string): unknown {
  const text = raw.trim();
  if (text === "true") return true;
  if (text === "false") return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(text)) return Number(text);
  if ((text.startsWith("[") && text.endsWith("]")) || (text.startsWith("{") && text.endsWith("}"))) {
    try {
      return parseYaml(text) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Deep merge of plain mappings, later sources winning; arrays and scalars are replaced whole. */
export function mergeTrees(...trees: readonly ConfigTree[]): ConfigTree {
  const out: ConfigTree = {};
  for (const tree of trees) {
    for (const [key, value] of Object.entries(tree)) {
      const prev = out[key];
      out[key] = isMapping(prev) && isMapping(value) ? mergeTrees(prev, value) : value;
    }
  }
  return out;
}

function isMapping(value: unknown): value is ConfigTree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
