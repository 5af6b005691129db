import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { atomicWrite } from "@manageos/core";
import { SuperviserErrors } from "../errors/index.js";
import { formatIni, getValues, type IniDocument, parseIni, setValues } from "./config-ini.js";

/** The nodeos plugins manageos relies on: get_info for monitoring, the producer API for pause, resume and snapshots. */
export const REQUIRED_PLUGINS: readonly string[] = ["eosio::chain_api_plugin", "eosio::producer_plugin", "eosio::producer_api_plugin"];

/** The keys manageos manages in config.ini, on top of the template. */
export interface ManagedKeys {
  httpServerAddress: string;
  /** bp mode: start paused unless this node is the designated producer. */
  pauseOnStartup?: boolean;
  producerName?: string;
  /** Full `signature-provider` values, one per key. */
  signatureProviders?: readonly string[];
  deepMind?: boolean;
  /** From config `node.configKeys`: an array becomes repeated keys. */
  extra?: Record<string, string | readonly string[]>;
  /** Keys set only when neither the template nor the config keys set them. */
  defaults?: Record<string, string>;
  /** Why a key of the result must not reach this nodeos (one its release refuses), or undefined when it may. */
  refuse?: (key: string) => string | undefined;
}

/** Builds config.ini: template, then config keys, then managed keys (which win). */
export function buildConfigIni(templateText: string, keys: ManagedKeys): IniDocument {
  const doc = parseIni(templateText);
  // The template's plugins stay where they are; the ones manageos needs are added after them when missing.
  const plugins = getValues(doc, "plugin");
  const missing = REQUIRED_PLUGINS.filter((p) => !plugins.includes(p)).map((value) => ({ kind: "pair" as const, key: "plugin", value }));
  const last = doc.entries.findLastIndex((e) => e.kind === "pair" && e.key === "plugin");
  doc.entries.splice(last === -1 ? doc.entries.length : last + 1, 0, ...missing);
  for (const [key, value] of Object.entries(keys.extra ?? {})) {
    setValues(doc, key, typeof value === "string" ? [value] : value);
  }
  for (const [key, value] of Object.entries(keys.defaults ?? {})) {
    if (getValues(doc, key).length === 0) setValues(doc, key, [value]);
  }
  setValues(doc, "http-server-address", [keys.httpServerAddress]);
  if (keys.pauseOnStartup !== undefined) setValues(doc, "pause-on-startup", [String(keys.pauseOnStartup)]);
  if (keys.producerName !== undefined) setValues(doc, "producer-name", [keys.producerName]);
  if (keys.signatureProviders !== undefined) setValues(doc, "signature-provider", keys.signatureProviders);
  if (keys.deepMind === true) setValues(doc, "deep-mind", ["true"]);
  for (const entry of doc.entries) {
    const reason = entry.kind === "pair" ? keys.refuse?.(entry.key) : undefined;
    if (entry.kind === "pair" && reason !== undefined) throw SuperviserErrors.optionRefused(entry.key, reason);
  }
  return doc;
}

/** Reads the template (empty when none), builds config.ini and writes it atomically into the config dir. */
export async function writeConfigIni(configDir: string, template: string | undefined, keys: ManagedKeys): Promise<string> {
  const text = template === undefined ? "" : await readFile(template, "utf8");
  const path = join(configDir, "config.ini");
  // Owner-only: signature-provider lines hold key material.
  await atomicWrite(path, formatIni(buildConfigIni(text, keys)), { mode: 0o600 });
  return path;
}
