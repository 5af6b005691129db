import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TestkitErrors } from "../errors.js";
import { NODEOS_SIM_BIN } from "./bins.js";
import { SimChild } from "./child.js";
import { type ConfigValue, DEFAULT_PLUGINS, renderConfigIni } from "./config-ini.js";
import { tempDir } from "./temp-dir.js";

/** Options of startNodeosSim; everything has a default suited to fast tests. */
export interface NodeosSimOptions {
  /** Defaults to a temp dir's `data`. */
  dataDir?: string;
  /** Defaults to a temp dir's `config`; config.ini is written there unless `writeConfig` is false. */
  configDir?: string;
  writeConfig?: boolean;
  /** Extra or overriding config.ini keys (arrays repeat the key). */
  config?: Readonly<Record<string, ConfigValue | undefined>>;
  plugins?: readonly string[];
  producerName?: string | readonly string[];
  signatureProvider?: string | readonly string[];
  pauseOnStartup?: boolean;
  deepMind?: boolean;
  /** Extra command line arguments (e.g. `--replay-blockchain`). */
  args?: readonly string[];
  blockIntervalMs?: number;
  clusterDir?: string;
  instance?: string;
  logLayout?: "leap" | "legacy";
  syslog?: boolean;
  termDelayMs?: number;
  ignoreTerms?: number;
  libLag?: number;
  /** NODEOS_SIM_VERSION: `v5.0.3` (leap 5, the default) or a Spring version such as `v1.2.2`. */
  version?: string;
  /** NODEOS_SIM_SAVANNA_FROM: first block under Savanna on a Spring node (default 1). */
  savannaFrom?: number;
  /** More environment variables for the child. */
  env?: Readonly<Record<string, string>>;
  /** Wait for the HTTP listener (default) or only for the spawn. */
  waitFor?: "http" | "spawn";
  startTimeoutMs?: number;
}

/** A running nodeos-sim. */
export interface NodeosSim {
  readonly pid: number;
  /** `http://127.0.0.1:<port>`; empty when not waiting for HTTP. */
  readonly httpUrl: string;
  readonly dataDir: string;
  readonly configDir: string;
  readonly process: SimChild;
  readonly exited: SimChild["exited"];
  /** SIGTERM, bounded wait, SIGKILL; resolves the exit. */
  stop(timeoutMs?: number): ReturnType<SimChild["stop"]>;
  kill(signal?: NodeJS.Signals): void;
}

const LISTENING = /start listening on ([^\s]+):(\d+) resolved from/;

/** Starts nodeos-sim as a real process with a generated config.ini; stopped and reaped after the test. */
export async function startNodeosSim(opts: NodeosSimOptions = {}): Promise<NodeosSim> {
  const base = opts.dataDir === undefined || opts.configDir === undefined ? await tempDir("nodeos-sim-") : "";
  const dataDir = opts.dataDir ?? join(base, "data");
  const configDir = opts.configDir ?? join(base, "config");
  if (opts.writeConfig !== false) {
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, "config.ini"), renderConfigIni(configEntries(opts)));
  }
  const child = SimChild.spawn(
    "nodeos-sim",
    NODEOS_SIM_BIN,
    ["--config-dir", configDir, "--data-dir", dataDir, ...(opts.args ?? [])],
    simEnv(opts),
  );
  let httpUrl = "";
  if ((opts.waitFor ?? "http") === "http") {
    try {
      const line = await child.waitForLine(LISTENING, { timeoutMs: opts.startTimeoutMs ?? 30_000 });
      const m = LISTENING.exec(line)!;
      const host = m[1] === "0.0.0.0" ? "127.0.0.1" : m[1]!;
      httpUrl = `http://${host.includes(":") ? `[${host}]` : host}:${m[2]}`;
    } catch (error) {
      await child.stop();
      throw TestkitErrors.simStartFailed("nodeos-sim", (error as Error).message, { cause: error });
    }
  }
  return {
    pid: child.pid,
    httpUrl,
    dataDir,
    configDir,
    process: child,
    exited: child.exited,
    stop: (timeoutMs) => child.stop(timeoutMs),
    kill: (signal) => child.kill(signal),
  };
}

function configEntries(opts: NodeosSimOptions): Record<string, ConfigValue | undefined> {
  return {
    plugin: opts.plugins ?? DEFAULT_PLUGINS,
    "http-server-address": "127.0.0.1:0",
    "chain-state-db-size-mb": 64,
    "producer-name": typeof opts.producerName === "string" ? [opts.producerName] : opts.producerName,
    "signature-provider": typeof opts.signatureProvider === "string" ? [opts.signatureProvider] : opts.signatureProvider,
    "pause-on-startup": opts.pauseOnStartup,
    "deep-mind": opts.deepMind,
    ...opts.config,
  };
}

function simEnv(opts: NodeosSimOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODEOS_SIM_BLOCK_INTERVAL_MS: String(opts.blockIntervalMs ?? 50) };
  const set = (key: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) env[key] = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
  };
  set("NODEOS_SIM_CLUSTER_DIR", opts.clusterDir);
  set("NODEOS_SIM_INSTANCE", opts.instance);
  set("NODEOS_SIM_LOG_LAYOUT", opts.logLayout);
  set("NODEOS_SIM_SYSLOG", opts.syslog);
  set("NODEOS_SIM_TERM_DELAY_MS", opts.termDelayMs);
  set("NODEOS_SIM_IGNORE_TERMS", opts.ignoreTerms);
  set("NODEOS_SIM_LIB_LAG", opts.libLag);
  set("NODEOS_SIM_VERSION", opts.version);
  set("NODEOS_SIM_SAVANNA_FROM", opts.savannaFrom);
  return { ...env, ...opts.env };
}
