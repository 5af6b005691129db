import { z } from "zod";
import { byteSize, duration } from "./duration.js";

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s/]+):\d{1,5}$/, "expected host:port, such as 127.0.0.1:8080");
const loopbackHostPort = hostPort.regex(
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d{1,5}$/,
  "must be a loopback address (127.0.0.1, localhost or [::1]): it signs blocks",
);
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "expected an http:// or https:// URL");
const storageUrl = z
  .string()
  .regex(/^(file:\/\/.+|gs:\/\/[a-z0-9][a-z0-9._-]*[a-z0-9](\/.*)?)$/, "expected file:///path or gs://bucket/prefix");
const dirtyStep = z.enum(["restore-latest", "replay", "fail"]);

/** The admin APIs nodeos serves that must never reach the public port. */
export const DEFAULT_PROXY_DENY = ["/v1/producer/*", "/v1/net/*", "/v1/db_size/*", "/v1/debug/*"];

/** The one manageos configuration schema; every source is merged, then validated here. */
export const configSchema = z.strictObject({
  /** Which app and flavour is running; set by the variant app's defaults. */
  app: z
    .strictObject({
      name: z.string().min(1).default("manageos"),
      flavour: z.enum(["eos", "bos", "geth"]).default("eos"),
    })
    .prefault({}),
  /** Where manageos keeps its own state (jobs, markers). */
  stateDir: z.string().min(1).default("./.manageos/state"),
  /** The hostname this node publishes and compares to `bp.producerHostname`. */
  hostname: z.string().min(1).optional(),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      format: z.enum(["auto", "json", "pretty"]).default("auto"),
      /** Re-emit DMLOG lines too (they can be tens of MiB each). */
      deepMindLines: z.boolean().default(false),
    })
    .prefault({}),
  api: z
    .strictObject({
      listen: hostPort.default("127.0.0.1:8080"),
      /** Bearer token required on mutating routes; required when listening beyond loopback. */
      token: z.string().min(16, "a token needs at least 16 characters").optional(),
    })
    .prefault({}),
  proxy: z
    .strictObject({
      enabled: z.boolean().default(true),
      listen: hostPort.default("0.0.0.0:9999"),
      deny: z.array(z.string().startsWith("/")).default(DEFAULT_PROXY_DENY),
      /** The gate opens only when the head block is at most this old. */
      syncedMaxLag: duration().default(10_000),
      retryAfter: duration().default(5_000),
      /** The largest request body the public proxy forwards; a larger one gets 413 PRX_ERR_BODY_TOO_LARGE. 2MiB is nodeos' own http-max-body-size default: raise both together. */
      maxBodySize: byteSize().default(2 * 1024 * 1024),
      /** Plain GET and POST requests take the fast lane; false serves every request with the full proxy (fastify) alone, at a higher CPU cost per request. */
      fastLane: z.boolean().default(true),
    })
    .prefault({}),
  node: z
    .strictObject({
      kind: z.enum(["nodeos", "geth"]).default("nodeos"),
      binary: z.string().min(1).default("nodeos"),
      /** Which nodeos line the binary is, for the options config.ini may hold: `auto` asks `nodeos --version` (v1.x is Spring). */
      release: z.enum(["auto", "leap", "spring"]).default("auto"),
      dataDir: z.string().min(1).default("./.manageos/data"),
      configDir: z.string().min(1).default("./.manageos/config"),
      genesisJson: z.string().min(1).optional(),
      /** A config.ini template; managed keys are added to it. */
      configTemplate: z.string().min(1).optional(),
      /** Extra config.ini keys; an array value becomes repeated keys, in order. */
      configKeys: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
      httpAddress: hostPort.default("127.0.0.1:8888"),
      extraArgs: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).default({}),
      blockInterval: duration().default(500),
      roundLength: z.number().int().positive().default(12),
      pollInterval: duration().default(1_000),
    })
    .prefault({}),
  superviser: z
    .strictObject({
      termRetryInterval: duration().default(10_000),
      killAfter: duration().default(300_000),
      restart: z
        .strictObject({
          policy: z.enum(["always", "on-failure", "never"]).default("on-failure"),
          backoffBase: duration().default(1_000),
          backoffCap: duration().default(60_000),
          resetAfter: duration().default(300_000),
          crashLoopThreshold: z.number().int().positive().default(5),
        })
        .prefault({}),
      maxLineLength: byteSize().default(64 * 1024 * 1024),
      keepLastLines: z.number().int().nonnegative().default(200),
      pluginQueueLines: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  storage: z
    .strictObject({
      url: storageUrl.default("file://./.manageos/storage"),
      chunkSize: byteSize()
        .pipe(
          z
            .number()
            .min(4096, "at least 4KiB")
            .max(1024 * 1024 * 1024, "at most 1GiB"),
        )
        .default(16 * 1024 * 1024),
      parallel: z.number().int().min(1).max(64).default(4),
      retries: z.number().int().min(0).max(20).default(5),
      compress: z.enum(["none", "gzip", "zstd"]).default("none"),
      /** gs://: `http://host:port` of a GCS JSON API server (an emulator); `STORAGE_EMULATOR_HOST` otherwise. */
      apiEndpoint: httpUrl.optional(),
    })
    .prefault({}),
  backup: z
    .strictObject({
      tag: z
        .string()
        .regex(/^[a-z0-9-]+$/, "lowercase letters, digits and dashes")
        .default("manual"),
      /** The chain whose backups boot and recovery restore; else the node's own, or the only one in storage. */
      chainId: z
        .string()
        .regex(/^[0-9a-f]{64}$/, "64 lowercase hex characters")
        .optional(),
      keepLast: z.number().int().min(1).optional(),
      maxAge: duration().optional(),
      everyBlocks: z.number().int().positive().optional(),
      every: duration().optional(),
      snapshotsKeepLast: z.number().int().min(1).default(5),
      /** Scheduled nodeos snapshots to storage. */
      snapshotEvery: duration().optional(),
      /** Scheduled gc of the store: orphan chunks of interrupted backups, partial uploads and left-over markers, all older than 1 h. 0 turns it off, at most 24d. */
      gcEvery: duration()
        .refine((ms) => ms <= 2_147_483_647, "at most 24d")
        .default(24 * 60 * 60 * 1000),
      bootstrap: z.enum(["backup", "snapshot", "genesis"]).default("backup"),
      dirtyPolicy: z.array(dirtyStep).min(1).default(["restore-latest", "replay", "fail"]),
    })
    .prefault({}),
  bp: z
    .strictObject({
      enabled: z.boolean().default(false),
      producerName: z
        .string()
        .regex(/^[a-z1-5.]{1,13}$/, "an Antelope account name")
        .optional(),
      blocksigner: httpUrl.default("http://127.0.0.1:6666"),
      /** The node meant to produce when manageos starts; it enters production through the safe resume after each start of nodeos. */
      producerHostname: z.string().min(1).optional(),
      claimWindow: duration().default(5_000),
      pauseTimeout: duration().default(30_000),
      takeover: z.boolean().default(false),
      reloadPolicy: z.enum(["handoff", "wait-round"]).default("wait-round"),
      /** Operator APIs of the other manageos of this producer name (takeover, handoff, production after a start, and every safe resume, which refuses while one answers that it produces and, without etcd, while one does not answer; with etcd the nodes' published addresses are added). */
      peers: z.array(httpUrl).default([]),
      /** Spring: a file, or a directory of files (a Kubernetes Secret), of this node's BLS finalizer keys, `PUB_BLS_...=PVT_BLS_...` a line; they become signature-provider lines of config.ini and are never logged. A key another node of ours also holds is refused. */
      finalizerKeys: z.string().min(1).optional(),
      /** The permission of bp.producerName that runs eosio::actfinkey when production moves here (`active`, or one linked to actfinkey). */
      finalityPermission: z
        .string()
        .regex(/^[a-z1-5.]{1,13}$/, "an Antelope permission name")
        .default("active"),
      /** A file holding that permission's private key (WIF or PVT_K1_): with it, a node that takes production activates its own finalizer key on chain. Never logged. */
      finalityKeyFile: z.string().min(1).optional(),
      /** Loopback address of the signing fence, the keosd endpoint nodeos signs blocks through: it forwards to the blocksigner only while production is resumed here (and, with etcd, the producer lease is live). Port 0 picks a free one. */
      signingListen: loopbackHostPort.default("127.0.0.1:0"),
      /** How long nodeos waits for a signature from the fence (config.ini `keosd-provider-timeout`); the slot gets no block after that. */
      signingTimeout: duration()
        .refine((ms) => ms >= 1 && ms <= 10_000, "between 1ms and 10s")
        .default(100),
    })
    .prefault({}),
  coordinator: z
    .strictObject({
      kind: z.enum(["local", "etcd"]).default("local"),
      endpoints: z.array(httpUrl).default([]),
      prefix: z.string().startsWith("/").default("/manageos"),
      leaseTtl: duration().default(10_000),
    })
    .prefault({}),
  configWatch: z
    .strictObject({
      dir: z.string().min(1).optional(),
      configmap: z.string().min(1).optional(),
      namespace: z.string().min(1).optional(),
      /** Quiet time after the last change before a reload. */
      debounce: duration().default(1_000),
    })
    .prefault({}),
  mindreader: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Block files: `firehose` (dbin of sf.bstream.v1.Block, zstd: one-blocks/, merged-blocks/) or `dmlog` (gzip of DMLOG lines: one-blocks/, bundles/). */
      format: z.enum(["firehose", "dmlog"]).default("firehose"),
      workDir: z.string().min(1).default("./.manageos/blocks-work"),
      blockStore: storageUrl.default("file://./.manageos/blocks"),
      startBlockNum: z.number().int().nonnegative().optional(),
      stopBlockNum: z.number().int().positive().optional(),
      readinessMaxLatency: duration().default(30_000),
      maxPendingFiles: z.number().int().positive().default(20_000),
      /** Block text read and not yet written to workDir past which reading nodeos' output waits for the writer threads; the upload backlog never counts. */
      maxPendingWriteBytes: byteSize().default(64 * 1024 * 1024),
      bundleSize: z.number().int().positive().default(100),
      /** Threads compressing and writing block files. Unset: all CPUs but two, no fewer than 2 (1 on a single CPU), no more than 8. */
      writerThreads: z.number().int().positive().max(64).optional(),
      /** Blocks older than this when read (a node replaying or catching up) go straight into their bundles, without one-block files, until the first younger block; 0: never. */
      catchUpBlockAge: duration().default(12 * 60 * 60 * 1000),
    })
    .prefault({}),
  geth: z
    .strictObject({
      args: z.array(z.string()).default(["--datadir", "{data-dir}", "--http", "--http.port", "{http-port}"]),
      rpcUrl: httpUrl.optional(),
    })
    .prefault({}),
});

/** Configuration as written by a person: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
/** Validated, defaulted configuration. */
export type Config = z.output<typeof configSchema>;
