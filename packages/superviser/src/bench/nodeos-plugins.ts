import type { BlockEvent, Logger, LogPlugin } from "@manageos/core";
import { NodeosBlockPlugin } from "../nodeos/block-plugin.js";
import { NodeosDirtyPlugin } from "../nodeos/dirty-plugin.js";
import { createNodeosLevelMapper } from "../nodeos/log-level.js";
import { KeepLastLinesPlugin } from "../plugins/keep-last-lines.js";
import { LevelMappingPlugin } from "../plugins/level-mapping.js";

/** The line plugins a nodeos Chain runs (keep-last, level mapping, block lines, dirty line), for benchmarks. */
export function nodeosLogPlugins(deps: {
  logger: Logger;
  deepMindLines?: boolean;
  /** False: log every line even while the reader is behind the node (LevelMappingOptions.dropBacklogged). */
  dropBacklogged?: boolean;
  keepLastLines?: number;
  onBlock?: (block: BlockEvent) => void;
}): LogPlugin[] {
  return [
    new KeepLastLinesPlugin({ size: deps.keepLastLines ?? 200 }),
    new LevelMappingPlugin(
      { module: "nodeos", map: createNodeosLevelMapper(), deepMindLines: deps.deepMindLines, dropBacklogged: deps.dropBacklogged },
      { logger: deps.logger },
    ),
    new NodeosBlockPlugin(deps.onBlock ?? (() => undefined)),
    new NodeosDirtyPlugin(() => undefined),
  ];
}
