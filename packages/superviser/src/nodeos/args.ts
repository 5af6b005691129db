import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ChainStartOptions } from "@manageos/core";

/** What the nodeos command line is built from. */
export interface NodeosArgsInput {
  configDir: string;
  dataDir: string;
  genesisJson?: string;
  extraArgs?: readonly string[];
  start?: ChainStartOptions;
}

/** True when the data dir holds no blocks yet (a first start). */
export async function hasNoBlocks(dataDir: string): Promise<boolean> {
  try {
    const names = await readdir(join(dataDir, "blocks"));
    return !names.some((n) => n === "blocks.log" || n.endsWith(".log"));
  } catch {
    return true;
  }
}

/** The nodeos arguments: dirs, genesis on a first start without snapshot, snapshot, replay flags, extras. */
export async function nodeosArgs(input: NodeosArgsInput): Promise<string[]> {
  const args = ["--config-dir", input.configDir, "--data-dir", input.dataDir];
  const snapshot = input.start?.snapshot;
  if (snapshot !== undefined) args.push("--snapshot", snapshot);
  else if (input.genesisJson !== undefined && (await hasNoBlocks(input.dataDir))) {
    args.push("--genesis-json", input.genesisJson);
  }
  if (input.start?.replay === "hard") args.push("--hard-replay-blockchain");
  else if (input.start?.replay === "soft") args.push("--replay-blockchain");
  args.push(...(input.extraArgs ?? []));
  return args;
}
