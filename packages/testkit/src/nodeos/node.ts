import { rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { join, resolve } from "node:path";
import { isManageosError } from "@manageos/core";
import { BlockLog } from "./block-log.js";
import { SimChain } from "./chain.js";
import { resolveIdentity } from "./chain-identity.js";
import { DEFAULT_CONFIG_INI, SPRING_DEFAULT_CONFIG_INI } from "./default-config.js";
import { FcLogger } from "./fc-log.js";
import { startHttp } from "./http/start-http.js";
import { first, flag, integer, mergeConfigFile, parseArgv, type RawOptions, readConfigFile, resolveDirs } from "./options.js";
import { KNOWN_PLUGINS } from "./plugins.js";
import { readSimEnv, type SimEnv } from "./sim-env.js";
import { parseSignatureProvider } from "./signature-provider.js";
import { readSnapshot, type SnapshotContent } from "./snapshot.js";
import { createStateFile, readDirtyFlag, readSimState, setDirtyFlag, stateFilePath, writeSimState } from "./state-file.js";
import { runBurst } from "./burst.js";
import { startDeepMind } from "./deep-mind.js";
import { installSignals } from "./signals.js";
import { blsPublicKeyOf, isBlsPrivateKey } from "../savanna/bls-keys.js";
import { Finality } from "../savanna/finality.js";
import { TestkitErrors } from "../errors.js";

/** nodeos' return codes (programs/nodeos/main.cpp). */
export const EXIT = {
  SUCCESS: 0,
  BAD_ALLOC: 1,
  DATABASE_DIRTY: 2,
  NODE_MANAGEMENT_SUCCESS: 5,
  INITIALIZE_FAIL: 255,
  OTHER_FAIL: 254,
} as const;

// The account key of a chain outside a cluster: `eosio` with the development key, as a fresh nodeos chain has.
const DEV_KEY = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

const MAIN = { file: "main.cpp", line: 163, method: "main" };
const CHAIN = { file: "chain_plugin.cpp", line: 1100, method: "plugin_initialize" };

/** Runs the simulated nodeos until it is told to stop; resolves the exit code. */
export async function runNodeos(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let simEnv = readSimEnv(env, "nodeos");
  let log = new FcLogger(simEnv.logLayout, simEnv.syslog, (l) => process.stderr.write(l));
  let options: RawOptions;
  let dirs: ReturnType<typeof resolveDirs>;
  try {
    const cli = parseArgv(argv, simEnv.spring);
    if (flag(cli, "help"))
      return print(
        `Usage: nodeos [options]\n\nApplication Options:\n  --config-dir, --data-dir, --genesis-json, --snapshot, --replay-blockchain, --hard-replay-blockchain, --delete-all-blocks, --version, --print-default-config\n`,
      );
    if (flag(cli, "version")) return print(`${simEnv.serverVersion}\n`);
    if (flag(cli, "full-version")) return print(`${simEnv.serverVersion}-sim\n`);
    if (flag(cli, "print-default-config")) return print(simEnv.spring ? SPRING_DEFAULT_CONFIG_INI : DEFAULT_CONFIG_INI);
    dirs = resolveDirs(cli);
    options = mergeConfigFile(cli, await readConfigFile(dirs.configFile), simEnv.spring);
  } catch (error) {
    return boostFailure(log, error);
  }
  simEnv = readSimEnv(env, dirs.dataDir);
  log = new FcLogger(simEnv.logLayout, simEnv.syslog, (l) => process.stderr.write(l));
  try {
    return await boot(options, dirs, simEnv, log);
  } catch (error) {
    log.log("error", MAIN, isManageosError(error) ? error.message : String(error));
    return EXIT.OTHER_FAIL;
  }
}

async function boot(options: RawOptions, dirs: ReturnType<typeof resolveDirs>, simEnv: SimEnv, log: FcLogger): Promise<number> {
  const { dataDir } = dirs;
  // Handlers go in first: a TERM during startup still ends in a clean shutdown.
  const stopRequested = installSignals(simEnv, log);
  log.log("info", MAIN, `nodeos version ${simEnv.serverVersion} ${simEnv.serverVersion}-sim`);
  log.log("info", MAIN, `nodeos using configuration file ${dirs.configFile}`);
  log.log("info", MAIN, `nodeos data directory is ${dataDir}`);
  const plugins = options.get("plugin") ?? [];
  for (const p of plugins) {
    if (!KNOWN_PLUGINS.has(p)) {
      log.log("error", MAIN, `unable to find plugin: ${p}`);
      return EXIT.OTHER_FAIL;
    }
  }
  const stateFile = stateFilePath(dataDir);
  if (flag(options, "delete-all-blocks")) {
    log.log("info", CHAIN, "Deleting state database and blocks");
    await rm(join(dataDir, "blocks"), { recursive: true, force: true });
    await rm(join(dataDir, "state"), { recursive: true, force: true });
  }
  const snapshotPath = first(options, "snapshot");
  let snapshot: SnapshotContent | undefined;
  if (snapshotPath !== undefined) {
    if ((await readDirtyFlag(stateFile)) !== undefined) {
      log.log("error", MAIN, "Snapshot can only be used to initialize an empty database.");
      return EXIT.OTHER_FAIL;
    }
    snapshot = await readSnapshot(snapshotPath);
    log.log("info", CHAIN, `Starting initialization from snapshot ${snapshotPath}, this might take significant period of time`);
  }
  const replay = flag(options, "replay-blockchain") || flag(options, "hard-replay-blockchain");
  const dirty = await readDirtyFlag(stateFile);
  if (dirty === true && !replay) {
    log.log("error", MAIN, "database dirty flag set (likely due to unclean shutdown): replay required");
    return EXIT.DATABASE_DIRTY;
  }
  let state = replay ? undefined : await readSimState(stateFile);
  if (replay) {
    log.log(
      "info",
      CHAIN,
      flag(options, "hard-replay-blockchain")
        ? "Hard replay requested: deleting state database"
        : "Replay requested: deleting state database",
    );
    await rm(join(dataDir, "state"), { recursive: true, force: true });
  }
  const identity = await resolveIdentity(simEnv, dataDir, first(options, "genesis-json"), state, snapshot);
  const blockLog = BlockLog.open(dataDir, {
    firstBlockNum: snapshot === undefined ? 1 : snapshot.headNum + 1,
    chainId: identity.chainId,
    genesisTimeMs: identity.genesisTimeMs,
  });
  if (replay && blockLog.headNum >= blockLog.preamble.firstBlockNum)
    log.log(
      "info",
      CHAIN,
      `existing block log, attempting to replay from ${blockLog.preamble.firstBlockNum} to ${blockLog.headNum} blocks`,
    );
  const providers = options.get("signature-provider") ?? [];
  // Spring: BLS finalizer keys are signature providers too, beside the K1 block-signing key.
  const blsKeys = simEnv.spring ? providers.filter((s) => s.startsWith("PUB_BLS_")).map(parseBlsProvider) : [];
  const signers = providers
    .filter((s) => !simEnv.spring || !s.startsWith("PUB_BLS_"))
    .map((s) =>
      // As nodeos: a KEOSD signature that takes longer than keosd-provider-timeout (5 ms by default) means no block.
      parseSignatureProvider(s, integer(options, "keosd-provider-timeout", 5)),
    );
  const deepMind = flag(options, "deep-mind")
    ? await startDeepMind(simEnv.spring ? { isSavanna: (n) => n >= simEnv.savannaFrom } : undefined)
    : undefined;
  const tablesDir = simEnv.clusterDir ?? join(dataDir, "state");
  const finality = simEnv.spring
    ? await Finality.open(
        {
          savannaFrom: simEnv.savannaFrom,
          tablesDir,
          clusterDir: simEnv.clusterDir,
          instance: simEnv.instance,
          finalizersDir: resolve(dataDir, first(options, "finalizers-dir") ?? "finalizers"),
          keys: blsKeys,
          voting: integer(options, "vote-threads", 4) > 0,
        },
        log,
      )
    : undefined;
  const chain = new SimChain(
    {
      chainId: identity.chainId,
      genesisTimeMs: identity.genesisTimeMs,
      blockIntervalMs: identity.blockIntervalMs,
      producers: identity.producers,
      roundLength: identity.roundLength,
      producerNames: options.get("producer-name") ?? [],
      signers,
      paused: flag(options, "pause-on-startup"),
      clusterDir: simEnv.clusterDir,
      instance: simEnv.instance,
      libLag: simEnv.libLag,
    },
    { log, blockLog, now: Date.now, onBlock: deepMind?.onBlock, finality },
    snapshot === undefined
      ? state === undefined
        ? undefined
        : { num: state.headNum, id: state.headId, timeMs: state.headTimeMs, producer: state.headProducer }
      : { num: snapshot.headNum, id: snapshot.headId, timeMs: snapshot.headTimeMs, producer: snapshot.headProducer },
  );
  const snapshotState = () => ({
    chainId: identity.chainId,
    genesisTimeMs: identity.genesisTimeMs,
    headNum: chain.head.num,
    headId: chain.head.id,
    headTimeMs: chain.head.timeMs,
    headProducer: chain.head.producer,
  });
  state = snapshotState();
  if ((await readDirtyFlag(stateFile)) === undefined)
    await createStateFile(stateFile, integer(options, "chain-state-db-size-mb", 1024) * 1024 * 1024, state);
  else await writeSimState(stateFile, state);
  await setDirtyFlag(stateFile, true);
  if (chain.paused) log.log("info", { file: "producer_plugin.cpp", line: 1110, method: "plugin_startup" }, "Production paused on startup");
  if (signers.length === 0 && chain.options.producerNames.length > 0)
    log.log(
      "warn",
      { file: "producer_plugin.cpp", line: 1075, method: "plugin_initialize" },
      "No signature providers configured: this node cannot produce blocks",
    );
  let server: Server | undefined;
  const address = first(options, "http-server-address") ?? "127.0.0.1:8888";
  if (address !== "") {
    const started = await startHttp(
      {
        chain,
        dataDir,
        stateFile,
        snapshotsDir: first(options, "snapshots-dir") ?? join(dataDir, "snapshots"),
        serverVersion: simEnv.serverVersion,
        peers: [...(options.get("p2p-peer-address") ?? [])],
        plugins,
        spring: simEnv.spring,
        tablesDir,
        accounts: identity.cluster?.accounts ?? { eosio: [DEV_KEY] },
        largeBodyBytes: simEnv.largeBodyBytes,
      },
      address,
      log,
    );
    server = started.server;
    if (simEnv.portFile !== undefined) await writeFile(simEnv.portFile, `${started.port}\n`);
  }
  deepMind?.start(chain);
  chain.start();
  log.log("info", { file: "producer_plugin.cpp", line: 1200, method: "plugin_startup" }, "producer plugin:  plugin_startup() end");
  let stopping = false;
  // A pipe gone mid-burst ends the burst, not the node.
  const burst = simEnv.burst === undefined ? undefined : runBurst(simEnv.burst, () => stopping).catch(() => undefined);
  await stopRequested;
  stopping = true;
  await burst;
  await chain.stop();
  // Like nodeos, drop open connections at once: a client polling over keep-alive must not hold the shutdown.
  const closed = new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server?.closeAllConnections();
  await closed;
  await writeSimState(stateFile, snapshotState());
  await setDirtyFlag(stateFile, false);
  blockLog.close();
  await deepMind?.flush();
  log.log("info", MAIN, "nodeos successfully exiting");
  return EXIT.SUCCESS;
}

function print(text: string): number {
  process.stdout.write(text);
  return EXIT.SUCCESS;
}

// How an exception out of boost::program_options reaches the console from main.cpp.
function boostFailure(log: FcLogger, error: unknown): number {
  if (!isManageosError(error)) throw error;
  const kind =
    error.code === "TK_ERR_UNKNOWN_OPTION"
      ? "unknown_option"
      : error.code === "TK_ERR_CONFIG_SYNTAX"
        ? "invalid_config_file_syntax"
        : error.code === "TK_ERR_MULTIPLE_OCCURRENCES"
          ? "multiple_occurrences"
          : "invalid_option_value";
  log.log("error", MAIN, "Throw location unknown (consider using BOOST_THROW_EXCEPTION)");
  process.stderr.write(
    `Dynamic exception type: boost::wrapexcept<boost::program_options::${kind}>\nstd::exception::what: ${error.message}\n\n`,
  );
  return EXIT.OTHER_FAIL;
}

// `PUB_BLS_...=KEY:PVT_BLS_...`: the public key must be the one the simulator derives from the private key.
function parseBlsProvider(spec: string): string {
  const m = /^(PUB_BLS_[A-Za-z0-9_-]+)=KEY:(.+)$/.exec(spec);
  if (m === null || !isBlsPrivateKey(m[2]!) || blsPublicKeyOf(m[2]!) !== m[1])
    throw TestkitErrors.badOptionValue("signature-provider", spec);
  return m[1]!;
}
