import { TestkitErrors } from "../errors.js";

/** One `key = value` line of config.ini, in file order. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
}

/** Parses config.ini like boost program_options: `key = value`, `#` comments, repeated keys kept in order. */
export function parseConfigIni(text: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = stripComment(raw).trim();
    if (line === "") continue;
    if (line.startsWith("[") && line.endsWith("]")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw TestkitErrors.configSyntax(line);
    // Only the first `=` separates: signature-provider values carry their own.
    entries.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return entries;
}

// boost strips from the first `#`; values in nodeos configs never contain one.
function stripComment(line: string): string {
  const hash = line.indexOf("#");
  return hash === -1 ? line : line.slice(0, hash);
}
