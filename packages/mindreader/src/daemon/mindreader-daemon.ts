import { hostname } from "node:os";
import { type Config, type DaemonParts, type Logger, openStore, type Registry } from "@manageos/core";
import { BlockFiles } from "../files/block-files.js";
import { DMLOG_FORMAT } from "../files/format.js";
import { FIREHOSE_FORMAT } from "../firehose/format.js";
import { createMindreaderMetrics, type MindreaderMetricSources } from "../metrics/metrics.js";
import { MindreaderPlugin } from "../reader/plugin.js";
import { BlockStream } from "../stream/block-stream.js";
import { registerBlockStreamRoute } from "../stream/route.js";
import { NodeControl } from "./node-control.js";
import { writerSuffix } from "./writer-suffix.js";

/** What one daemon run of the mindreader is made of. */
interface MindreaderParts {
  readonly plugin: MindreaderPlugin;
  readonly files: BlockFiles;
  readonly stream: BlockStream;
  readonly control: NodeControl;
}

/**
 * A daemon that also reads the node's deep-mind output (when `mindreader.enabled`): block files in
 * `mindreader.format` (Firehose's by default) in `mindreader.workDir` uploaded to `mindreader.blockStore`, `manageos_mindreader_*` metrics, the live block stream
 * `GET /v1/mindreader/blocks?from=N`, /healthz not ready while the head block is older than
 * `mindreader.readinessMaxLatency`, and a clean stop of the node at `mindreader.stopBlockNum` or when the
 * reader fails (the daemon stays up).
 */
export function mindreaderDaemon(base: DaemonParts): DaemonParts {
  let parts: MindreaderParts | undefined;
  return {
    ...base,
    async createChain(config, deps) {
      if (!config.mindreader.enabled) return base.createChain(config, deps);
      const logger = deps.logger.child({ module: "mindreader" });
      const { plugin, files, stream } = await openMindreader(config, { logger, registry: deps.registry });
      const chain = await base.createChain(config, { ...deps, plugins: [...deps.plugins, plugin] });
      const control = new NodeControl(
        { stopBlockNum: config.mindreader.stopBlockNum, readinessMaxLatencyMs: config.mindreader.readinessMaxLatency },
        { chain, plugin, logger },
      );
      parts = { plugin, files, stream, control };
      return chain;
    },
    routes(config, deps) {
      const routes = base.routes?.(config, deps) ?? [];
      const stream = parts?.stream;
      return stream === undefined ? routes : [...routes, (app) => registerBlockStreamRoute(app, stream)];
    },
    health() {
      return [...(base.health?.() ?? []), ...(parts?.control.health() ?? [])];
    },
  };
}

// The reader and its writer, with files a previous run left in the work dir queued for upload again.
async function openMindreader(
  config: Readonly<Config>,
  deps: { logger: Logger; registry: Registry },
): Promise<Pick<MindreaderParts, "plugin" | "files" | "stream">> {
  const mr = config.mindreader;
  const sources: MindreaderMetricSources = {};
  const metrics = createMindreaderMetrics(deps.registry, sources);
  const suffix = writerSuffix(config.hostname ?? hostname());
  const firehose = mr.format === "firehose";
  const files = new BlockFiles(
    {
      format: firehose ? FIREHOSE_FORMAT : DMLOG_FORMAT,
      workDir: mr.workDir,
      suffix,
      maxPendingFiles: mr.maxPendingFiles,
      maxPendingWriteBytes: mr.maxPendingWriteBytes,
      bundleSize: mr.bundleSize,
      catchUpBlockAgeMs: mr.catchUpBlockAge,
      writerThreads: mr.writerThreads,
    },
    { store: openStore(mr.blockStore), logger: deps.logger, metrics },
  );
  await files.start();
  const stream = new BlockStream();
  const plugin = new MindreaderPlugin(
    {
      startBlockNum: mr.startBlockNum,
      stopBlockNum: mr.stopBlockNum,
      readinessMaxLatencyMs: mr.readinessMaxLatency,
      // The decoder keeps the contracts' ABIs from the lines nodeos prints before its first block.
      keepContext: firehose,
      // Firehose: the stream serves each block once decoded, as its protobuf JSON mapping.
      publishHeaders: !firehose,
    },
    { sink: files, logger: deps.logger, metrics, stream },
  );
  if (firehose) files.on("decoded", (meta, bstream) => stream.publishDecoded(meta, bstream));
  // A block that cannot be decoded whole stops the reader, as an unreadable line does: the node is stopped.
  files.on("blockError", (err) => plugin.failWith(err));
  sources.driftSeconds = () => plugin.driftSeconds();
  deps.logger.info(
    {
      format: mr.format,
      workDir: mr.workDir,
      blockStore: mr.blockStore,
      suffix,
      startBlockNum: mr.startBlockNum,
      stopBlockNum: mr.stopBlockNum,
      catchUpBlockAgeMs: mr.catchUpBlockAge,
      writerThreads: files.writerThreads,
    },
    "mindreader on",
  );
  return { plugin, files, stream };
}
