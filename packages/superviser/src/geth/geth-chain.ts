import { EventEmitter } from "node:events";
import type {
  Backupable,
  BlockEvent,
  Chain,
  ChainEventMap,
  ChainStatus,
  Config,
  ExitResult,
  HeadInfo,
  Logger,
  LogPlugin,
} from "@manageos/core";
import type { Registry } from "prom-client";
import { type ChainMetrics, createChainMetrics } from "../metrics/chain-metrics.js";
import { registerSuperviserMetrics } from "../metrics/superviser-metrics.js";
import { Poller } from "../monitor/poller.js";
import { LevelMappingPlugin } from "../plugins/level-mapping.js";
import { RegexpHookPlugin } from "../plugins/regexp-hook.js";
import type { Clock } from "../process/clock.js";
import { policyOf } from "../process/process-policy.js";
import { Superviser } from "../process/superviser.js";
import { expandArgs } from "./args.js";
import { gethEnode, pollGeth } from "./geth-monitor.js";
import { createGethLevelMapper } from "./log-level.js";
import { type GethChainOptions, gethChainOptions } from "./options.js";

/** What a geth Chain needs from outside. */
export interface GethChainDeps {
  logger: Logger;
  registry?: Registry;
  plugins?: readonly LogPlugin[];
  clock?: Clock;
}

// geth: `HTTP server started endpoint=127.0.0.1:8545`; anvil: `Listening on 127.0.0.1:8545`.
const LISTENING = /(?:HTTP server started\s+endpoint=|Listening on )(?:http:\/\/)?([^\s/]+):(\d+)/;

/** geth (or a JSON-RPC compatible dev node) under supervision, watched over JSON-RPC. */
export class GethChain extends EventEmitter<ChainEventMap> implements Chain, Backupable {
  readonly kind = "geth" as const;
  readonly dataDir: string;
  readonly superviser: Superviser;
  readonly hooks = new RegexpHookPlugin("geth-hooks");
  /** The node's enode, once admin_nodeInfo answered. */
  enode: string | undefined;
  private readonly logger: Logger;
  private readonly metrics: ChainMetrics | undefined;
  private readonly monitor: Poller;
  private readonly known: { chainId?: string; version?: string } = {};
  private head: HeadInfo | undefined;
  private lastBlock: BlockEvent | undefined;
  private listeningUrl: string | undefined;
  private enodeAsked = false;

  constructor(
    private readonly opts: GethChainOptions,
    deps: GethChainDeps,
  ) {
    super();
    this.dataDir = opts.dataDir;
    this.logger = deps.logger.child({ module: "chain", kind: "geth" });
    this.metrics = deps.registry === undefined ? undefined : createChainMetrics(deps.registry);
    const plugins: LogPlugin[] = [
      new LevelMappingPlugin({ module: "geth", map: createGethLevelMapper() }, { logger: deps.logger }),
      this.hooks,
      ...(deps.plugins ?? []),
    ];
    this.superviser = new Superviser(
      {
        ...policyOf(opts),
        name: "geth",
        launch: () => ({
          command: opts.binary,
          args: expandArgs(opts.args, {
            "data-dir": opts.dataDir,
            "http-port": this.configuredPort(),
            "http-host": new URL(opts.rpcUrl).hostname,
          }),
          env: opts.env,
        }),
      },
      { logger: deps.logger, plugins, clock: deps.clock },
    );
    if (deps.registry !== undefined) registerSuperviserMetrics(deps.registry, this.superviser);
    this.monitor = new Poller({ name: "eth_blockNumber", intervalMs: opts.pollInterval }, () => this.poll(), {
      logger: this.logger,
      clock: deps.clock,
    });
    this.superviser.on("state", (next, previous) => {
      if (next === "running") this.monitor.start();
      this.emit("state", next, previous);
    });
    this.superviser.on("exit", (exit) => {
      void this.monitor.stop();
      this.emit("exit", exit);
    });
    this.hooks.onMatch(LISTENING, (m) => {
      const host = m[1] === "0.0.0.0" ? "127.0.0.1" : (m[1] as string);
      this.listeningUrl = `http://${host}:${m[2]}`;
    });
  }

  /** Where JSON-RPC answers: the address the node said it listens on, else the configured URL. */
  /** The JSON-RPC address geth answers on. */
  apiUrl(): string {
    return this.rpcUrl;
  }

  get rpcUrl(): string {
    return this.listeningUrl ?? this.opts.rpcUrl;
  }

  async start(): Promise<void> {
    this.listeningUrl = undefined;
    await this.superviser.start();
  }

  async stop(): Promise<ExitResult | undefined> {
    await this.monitor.stop();
    return this.superviser.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async close(): Promise<void> {
    await this.monitor.stop();
    await this.superviser.close();
  }

  status(): ChainStatus {
    const s = this.superviser;
    return {
      kind: "geth",
      state: s.state,
      pid: s.pid,
      restarts: s.restarts,
      crashLoop: s.crashLoop,
      dirty: false,
      head: this.head,
      lastBlock: this.lastBlock,
      lastExit: s.lastExit,
      uptimeMs: s.uptimeMs,
    };
  }

  lastLines(): readonly string[] {
    return this.superviser.lastLines();
  }

  backupPaths(): readonly string[] {
    return ["geth/chaindata"];
  }

  async isDataDirty(): Promise<boolean> {
    return false;
  }

  // The port for `{http-port}`: from the configured RPC URL (0 lets the node pick).
  private configuredPort(): string {
    const url = new URL(this.opts.rpcUrl);
    return url.port === "" ? "8545" : url.port;
  }

  // One JSON-RPC poll; a new head is also a block event.
  private async poll(): Promise<void> {
    const timeout = this.opts.apiTimeoutMs ?? 5_000;
    const result = await pollGeth(this.rpcUrl, timeout, this.known);
    const previous = this.head?.headBlockNum;
    this.head = result.head;
    this.metrics?.head(result.head);
    if (result.peers !== undefined) this.metrics?.peers(result.peers);
    this.emit("head", result.head);
    if (previous !== result.head.headBlockNum) {
      const block: BlockEvent = {
        num: result.head.headBlockNum,
        idPrefix: result.head.headBlockId ?? "",
        producer: result.miner ?? "",
        time: result.head.headBlockTime ?? new Date().toISOString(),
        lib: undefined,
        kind: "received",
      };
      this.lastBlock = block;
      this.metrics?.block(block);
      this.emit("block", block);
    }
    if (!this.enodeAsked) {
      // admin_* is often disabled; ask once, never fail a poll over it.
      this.enodeAsked = true;
      this.enode = await gethEnode(this.rpcUrl, timeout).catch(() => undefined);
    }
  }
}

/** Builds a geth Chain from the validated manageos config (`node`, `geth`, `superviser`). */
export function createGethChain(config: Config, deps: GethChainDeps): GethChain {
  return new GethChain(gethChainOptions(config), deps);
}
