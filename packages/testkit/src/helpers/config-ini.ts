/** A config.ini value: repeated keys as arrays, booleans as true/false. */
export type ConfigValue = string | number | boolean | readonly string[];

/** Renders `key = value` lines; arrays repeat the key in order. */
export function renderConfigIni(entries: Readonly<Record<string, ConfigValue | undefined>>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [String(value)];
    for (const v of values) lines.push(`${key} = ${v}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The API plugins a simulated node loads unless told otherwise. */
export const DEFAULT_PLUGINS: readonly string[] = [
  "eosio::chain_plugin",
  "eosio::chain_api_plugin",
  "eosio::http_plugin",
  "eosio::net_plugin",
  "eosio::net_api_plugin",
  "eosio::producer_plugin",
  "eosio::producer_api_plugin",
  "eosio::db_size_api_plugin",
];
