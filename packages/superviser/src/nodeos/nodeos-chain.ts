import { EventEmitter } from "node:events";
import type {
  Backupable,
  BlockEvent,
  Chain,
  ChainEventMap,
  ChainStartOptions,
  ChainStatus,
  Config,
  DirtyEvent,
  ExitResult,
  HeadInfo,
  Logger,
  LogPlugin,
  Producer,
  SnapshotInfo,
  Snapshotable,
} from "@manageos/core";
import type { Registry } from "prom-client";
import { SuperviserErrors } from "../errors/index.js";
import { type ChainMetrics, createChainMetrics } from "../metrics/chain-metrics.js";
import { registerSuperviserMetrics } from "../metrics/superviser-metrics.js";
import { Poller } from "../monitor/poller.js";
import { LevelMappingPlugin } from "../plugins/level-mapping.js";
import { RegexpHookPlugin } from "../plugins/regexp-hook.js";
import { type Clock, systemClock } from "../process/clock.js";
import type { LaunchSpec } from "../process/spawn-child.js";
import { policyOf } from "../process/process-policy.js";
import { Superviser } from "../process/superviser.js";
import type { SuperviserExit } from "../process/superviser-types.js";
import { NodeosBlockPlugin } from "./block-plugin.js";
import { getDbSize, getInfo } from "./chain-api.js";
import { DIRTY_EXIT_CODE, isStateDirty, OTHER_FAIL_EXIT_CODE } from "./dirty-flag.js";
import { NodeosDirtyPlugin } from "./dirty-plugin.js";
import { readFinalizerKeys } from "./finalizer-keys.js";
import { finalizersDirOf } from "./finalizers-dir.js";
import { nodeosLaunch } from "./launch.js";
import { clearNodeosPid, pidFileOf, recordNodeosPid, stopOrphanNodeos } from "./orphan.js";
import { detectRelease, type NodeosVersion } from "./release.js";
import { createNodeosLevelMapper } from "./log-level.js";
import { isProducerHost, localUrl, type NodeosChainOptions, nodeosChainOptions } from "./options.js";
import { ProducerApi } from "./producer-api.js";

/** What a nodeos Chain needs from outside. */
export interface NodeosChainDeps {
  logger: Logger;
  /** Metrics go here when given. */
  registry?: Registry;
  /** More line readers after the shipped ones (the mindreader). */
  plugins?: readonly LogPlugin[];
  clock?: Clock;
}

/** How a nodeos Chain is started: the Chain options plus a nodeos-only escape hatch. */
export interface NodeosStartOptions extends ChainStartOptions {
  /** Start even when the offline check finds the dirty flag (nodeos then refuses and exits 2). */
  ignoreDirty?: boolean;
}

// leap's http_plugin: `start listening on 127.0.0.1:8888 resolved from 127.0.0.1:8888 for API categories: ...`
const LISTENING = /start listening on (\S+):(\d+) resolved from/;

/** nodeos under supervision: config.ini, arguments, dirty checks, log parsing, API monitor, producer API. */
export class NodeosChain extends EventEmitter<ChainEventMap> implements Chain, Producer, Snapshotable, Backupable {
  readonly kind = "nodeos" as const;
  readonly flavour: "eos" | "bos";
  readonly dataDir: string;
  readonly superviser: Superviser;
  /** Regexp hooks on every line, for callers that wait on a message. */
  readonly hooks = new RegexpHookPlugin("nodeos-hooks");
  readonly producerApi: ProducerApi;
  private readonly logger: Logger;
  private readonly metrics: ChainMetrics | undefined;
  private readonly monitor: Poller;
  private head: HeadInfo | undefined;
  private lastBlock: BlockEvent | undefined;
  private dirty = false;
  private pendingStart: NodeosStartOptions | undefined;
  private listeningUrl: string | undefined;
  // bp mode: whether this node is meant to produce. At first only the designated producer host; false once production
  // is paused here (by hand, a handoff, a job, the guard), true once it is resumed here. nodeos always starts paused;
  // after a start, block-producer mode resumes a node meant to produce through the safe resume.
  private productionWanted: boolean;
  // What `nodeos --version` said, asked before the first start and again after the binary changed.
  private detected: NodeosVersion | undefined;
  private refusedFinalizers: ReadonlySet<string> = new Set();
  private readonly clock: Clock;
  private orphanChecked = false;
  private pidWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: NodeosChainOptions,
    deps: NodeosChainDeps,
  ) {
    super();
    this.flavour = opts.flavour;
    this.dataDir = opts.dataDir;
    this.productionWanted = isProducerHost(opts);
    this.logger = deps.logger.child({ module: "chain", kind: "nodeos" });
    const producers = opts.bp.enabled && opts.bp.producerName !== undefined ? [opts.bp.producerName] : [];
    this.metrics = deps.registry === undefined ? undefined : createChainMetrics(deps.registry, { producers });
    this.producerApi = new ProducerApi({ baseUrl: this.baseUrl, timeoutMs: opts.apiTimeoutMs });
    const plugins: LogPlugin[] = [
      new LevelMappingPlugin(
        { module: "nodeos", map: createNodeosLevelMapper(), deepMindLines: opts.deepMindLines },
        { logger: deps.logger },
      ),
      new NodeosBlockPlugin((block) => this.onBlock(block)),
      new NodeosDirtyPlugin((line) => {
        // This run has failed: a restart for it, whoever asks, goes through the backoff.
        this.superviser.reportFailure("dirty database");
        this.markDirty("log", line);
      }),
      this.hooks,
      ...(deps.plugins ?? []),
    ];
    // Spring's tracked_votes: a vote of a local finalizer that did not make it into a block's QC.
    this.hooks.onMatch(
      /Local finalizer (\S+) did not vote in block (\d+)/,
      (m) => this.emit("vote-missed", { finalizer: m[1] ?? "", block: Number(m[2]) }),
      {
        contains: "did not vote",
      },
    );
    this.superviser = new Superviser(
      {
        ...policyOf(opts),
        name: "nodeos",
        launch: () => this.prepare(),
        restart: { ...opts.restart, noRestartExitCodes: [DIRTY_EXIT_CODE] },
      },
      { logger: deps.logger, plugins, clock: deps.clock },
    );
    if (deps.registry !== undefined) registerSuperviserMetrics(deps.registry, this.superviser, { exitCodes: [DIRTY_EXIT_CODE] });
    this.monitor = new Poller({ name: "get_info", intervalMs: opts.pollInterval }, () => this.poll(), {
      logger: this.logger,
      clock: deps.clock,
    });
    this.superviser.on("state", (next, previous) => {
      if (next === "running") this.monitor.start();
      this.emit("state", next, previous);
    });
    this.superviser.on("exit", (exit) => void this.onExit(exit));
    // Remembered while it runs, so that a manageos started after this one was killed can stop it first.
    // In order: a restart's record must not be removed by the previous run's exit.
    const pidFile = () => pidFileOf(this.opts.configDir);
    this.superviser.on("spawn", (pid) => {
      this.pidWrites = this.pidWrites
        .then(() => recordNodeosPid(pidFile(), pid, this.dataDir))
        .catch((error: unknown) => this.logger.warn({ err: error }, "cannot record the nodeos pid"));
    });
    this.superviser.on("exit", () => {
      this.pidWrites = this.pidWrites.then(() => clearNodeosPid(pidFile())).catch(() => undefined);
    });
    this.clock = deps.clock ?? systemClock;
    // With port 0 (tests) only nodeos knows its port; it says it once listening.
    this.hooks.onMatch(
      LISTENING,
      (m) => {
        this.listeningUrl = localUrl(`${m[1]}:${m[2]}`);
        this.producerApi.baseUrl = this.listeningUrl;
      },
      { contains: "start listening on", stream: "stderr" },
    );
  }

  /** Where nodeos' HTTP API answers: the address it said it listens on, else the configured one. */
  get baseUrl(): string {
    return this.listeningUrl ?? localUrl(this.opts.httpAddress);
  }

  /** The API address nodeos said it listens on, or the configured one unless that leaves the port to nodeos. */
  apiUrl(): string | undefined {
    if (this.listeningUrl !== undefined) return this.listeningUrl;
    return this.opts.httpAddress.endsWith(":0") ? undefined : localUrl(this.opts.httpAddress);
  }

  /** Starts nodeos; rejects with SUP_ERR_DIRTY when the data is dirty and no replay was asked. */
  async start(options: NodeosStartOptions = {}): Promise<void> {
    this.pendingStart = options;
    await this.superviser.start();
  }

  /** Stops nodeos with the TERM policy. */
  async stop(): Promise<ExitResult | undefined> {
    // No polls while nodeos shuts down: a request in flight can hold its HTTP server open.
    await this.monitor.stop();
    return this.superviser.stop();
  }

  /** Stops, then starts with the given options. */
  async restart(options: NodeosStartOptions = {}): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  /** Stops nodeos and the monitor for good. */
  async close(): Promise<void> {
    await this.monitor.stop();
    await this.superviser.close();
    // The pid file is written and removed behind the child's start and exit: done before the dirs may go.
    await this.pidWrites;
  }

  status(): ChainStatus {
    const s = this.superviser;
    return {
      kind: "nodeos",
      state: s.state,
      pid: s.pid,
      restarts: s.restarts,
      crashLoop: s.crashLoop,
      dirty: this.dirty,
      head: this.head,
      lastBlock: this.lastBlock,
      lastExit: s.lastExit,
      uptimeMs: s.uptimeMs,
    };
  }

  lastLines(): readonly string[] {
    return this.superviser.lastLines();
  }

  async pauseProduction(options: { keepWanted?: boolean } = {}): Promise<void> {
    // Before the call: when it fails, nodeos may still have paused.
    if (options.keepWanted !== true) this.productionWanted = false;
    await this.producerApi.pause();
  }

  async resumeProduction(): Promise<void> {
    await this.producerApi.resume();
    this.productionWanted = true;
  }

  wantsProduction(): boolean {
    return this.productionWanted;
  }

  useSigningFence(signUrl: string, timeoutMs: number): void {
    this.opts.signingFence = { signUrl, timeoutMs };
  }

  /** The nodeos line the binary is: `node.release`, or what `nodeos --version` says (asked once per binary). */
  async release(): Promise<"leap" | "spring"> {
    if (this.opts.release !== "auto") return this.opts.release;
    this.detected ??= await detectRelease(this.opts.binary, this.opts.env);
    return this.detected.release;
  }

  /** The public parts of this node's finalizer keys (`bp.finalizerKeys`); none without them. */
  async finalizerPublicKeys(): Promise<string[]> {
    const path = this.opts.bp.enabled ? this.opts.bp.finalizerKeys : undefined;
    return path === undefined ? [] : (await readFinalizerKeys(path)).map((k) => k.publicKey);
  }

  /** From the next start on, leaves these finalizer keys out of config.ini (another node of ours holds them). */
  refuseFinalizerKeys(publicKeys: readonly string[]): void {
    this.refusedFinalizers = new Set(publicKeys);
  }

  isProductionPaused(): Promise<boolean> {
    return this.producerApi.paused();
  }

  createSnapshot(): Promise<SnapshotInfo> {
    return this.producerApi.createSnapshot();
  }

  backupPaths(): readonly string[] {
    return ["blocks", "state"];
  }

  /** Where Spring keeps this node's `safety.dat` (config.ini `finalizers-dir`, default `<data-dir>/finalizers`); restores never write it. */
  finalizersDir(): Promise<string> {
    return finalizersDirOf(this.opts);
  }

  isDataDirty(): Promise<boolean> {
    return isStateDirty(this.dataDir);
  }

  /** get_info asked now (the poll's client and timeout), not the last poll's answer; undefined when nodeos does not answer. */
  async headNow(): Promise<HeadInfo | undefined> {
    try {
      return await getInfo(this.baseUrl, this.opts.apiTimeoutMs ?? 5_000);
    } catch (error) {
      this.logger.debug({ err: error }, "get_info did not answer");
      return undefined;
    }
  }

  /** Takes new start settings from a reloaded config (config.ini template and keys, args, env, binary, bp); next start on. */
  reconfigure(config: Config): void {
    const { configTemplate, configKeys, extraArgs, env, genesisJson, binary, bp, release } = nodeosChainOptions(config);
    if (binary !== this.opts.binary || JSON.stringify(env) !== JSON.stringify(this.opts.env)) this.detected = undefined;
    Object.assign(this.opts, { configTemplate, configKeys, extraArgs, env, genesisJson, binary, bp, release });
  }

  // Runs before every spawn: dirty check, blocksigner keys, config.ini, arguments.
  private async prepare(): Promise<LaunchSpec> {
    // Once, before anything else: a nodeos a killed manageos left running on this data dir goes first.
    if (!this.orphanChecked) {
      this.orphanChecked = true;
      await stopOrphanNodeos(pidFileOf(this.opts.configDir), this.dataDir, this.opts.terminate, { logger: this.logger, clock: this.clock });
    }
    const start = this.pendingStart ?? {};
    // Start options apply once: a crash restart must not load the snapshot again.
    this.pendingStart = undefined;
    this.listeningUrl = undefined;
    const replaying = start.replay !== undefined || start.snapshot !== undefined;
    const flagSet = !replaying && (await isStateDirty(this.dataDir));
    if (flagSet && start.ignoreDirty !== true) {
      this.markDirty("offline", "state/shared_memory.bin has its dirty flag set");
      throw SuperviserErrors.dirty(this.dataDir);
    }
    // Replaying, or the data is clean again (restored from a backup): no longer dirty.
    if (!flagSet) this.dirty = false;
    // The release decides options only manageos writes in bp mode (finalizer keys, vote-threads), and the options of
    // the template it checks then; outside bp mode it is asked only when node.release names it.
    const release = this.opts.bp.enabled || this.opts.release !== "auto" ? await this.release() : undefined;
    const spec = await nodeosLaunch(this.opts, start, { logger: this.logger }, { release, refusedFinalizerKeys: this.refusedFinalizers });
    this.logger.info({ args: spec.args }, "starting nodeos");
    return spec;
  }

  // One get_info (and db_size) poll.
  private async poll(): Promise<void> {
    const head = await getInfo(this.baseUrl, this.opts.apiTimeoutMs ?? 5_000);
    this.head = head;
    this.metrics?.head(head);
    this.emit("head", head);
    try {
      const size = await getDbSize(this.baseUrl, this.opts.apiTimeoutMs ?? 5_000);
      this.metrics?.dbSize(size);
    } catch (error) {
      // db_size_api_plugin is optional in nodeos.
      this.logger.trace({ err: error }, "db_size unavailable");
    }
  }

  private onBlock(block: BlockEvent): void {
    this.lastBlock = block;
    this.metrics?.block(block);
    this.emit("block", block);
  }

  // After an exit: exit code 2 is a dirty database; after any other unclean end the flag on disk decides (SIGKILL
  // leaves it set; leap 3.2/4.0 can report a dirty database as plugin_config_exception and exit 254).
  private async onExit(exit: SuperviserExit): Promise<void> {
    if (exit.exitCode === DIRTY_EXIT_CODE) this.markDirty("exit-code", `nodeos exited with ${DIRTY_EXIT_CODE}`);
    await this.monitor.stop();
    const unclean = exit.killed || exit.signal !== undefined || (!exit.requested && exit.exitCode !== 0);
    if (exit.exitCode !== DIRTY_EXIT_CODE && unclean) {
      const flagSet = await isStateDirty(this.dataDir).catch(() => false);
      if (exit.exitCode === OTHER_FAIL_EXIT_CODE && this.reportedConfigException()) {
        this.logger.warn(
          { exitCode: exit.exitCode, dirtyFlag: flagSet, dataDir: this.dataDir },
          flagSet
            ? "nodeos exited 254 with plugin_config_exception and the dirty flag on disk is set: a dirty database"
            : "nodeos exited 254 with plugin_config_exception and the dirty flag on disk is clear: a configuration error, not a dirty database",
        );
      }
      if (flagSet) this.markDirty("offline", `dirty flag set after ${exit.signal ?? (exit.killed ? "kill" : `exit ${exit.exitCode}`)}`);
    }
    this.emit("exit", exit);
  }

  // Whether nodeos' last lines carry a plugin_config_exception.
  private reportedConfigException(): boolean {
    return this.superviser
      .lastLines()
      .slice(-50)
      .some((line) => line.includes("plugin_config_exception"));
  }

  private markDirty(source: DirtyEvent["source"], detail: string): void {
    this.dirty = true;
    this.logger.error({ source, detail, dataDir: this.dataDir }, "nodeos data is dirty: replay or restore required");
    this.emit("dirty", { source, dataDir: this.dataDir, detail });
  }
}

/** Builds a nodeos Chain from the validated manageos config (`node`, `superviser`, `bp`, `log`, `mindreader`). */
export function createNodeosChain(config: Config, deps: NodeosChainDeps): NodeosChain {
  return new NodeosChain(nodeosChainOptions(config), deps);
}
