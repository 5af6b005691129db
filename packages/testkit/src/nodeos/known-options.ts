/** Options nodeos accepts only on the command line (appbase/main.cpp and chain_plugin). */
export const CLI_ONLY_OPTIONS: ReadonlySet<string> = new Set([
  "help", "version", "full-version", "print-default-config", "data-dir", "config-dir", "config",
  "logconf", "genesis-json", "genesis-timestamp", "snapshot", "replay-blockchain", "hard-replay-blockchain",
  "delete-all-blocks", "truncate-at-block", "terminate-at-block", "force-all-checks", "disable-replay-opts",
  "fix-reversible-blocks", "import-reversible-blocks", "export-reversible-blocks", "print-genesis-json",
  "extract-genesis-json", "print-build-info", "extract-build-info", "delete-state-history",
]);

/** Options accepted both in config.ini and on the command line (a broad subset of leap's). */
export const CONFIG_OPTIONS: ReadonlySet<string> = new Set([
  "plugin", "http-server-address", "https-server-address", "unix-socket-path", "access-control-allow-origin",
  "access-control-allow-headers", "access-control-max-age", "access-control-allow-credentials", "max-body-size",
  "http-max-bytes-in-flight-mb", "http-max-in-flight-requests", "http-max-response-time-ms",
  "verbose-http-errors", "http-validate-host", "http-alias", "http-threads", "http-keep-alive",
  "http-category-address", "p2p-listen-endpoint", "p2p-server-address", "p2p-peer-address",
  "p2p-max-nodes-per-host", "p2p-accept-transactions", "p2p-auto-bp-peer", "agent-name", "allowed-connection",
  "peer-key", "peer-private-key", "max-clients", "connection-cleanup-period", "max-cleanup-time-msec",
  "net-threads", "sync-fetch-span", "use-socket-read-watermark", "peer-log-format", "p2p-keepalive-interval-ms",
  "producer-name", "signature-provider", "enable-stale-production", "pause-on-startup", "max-transaction-time",
  "max-irreversible-block-age", "keosd-provider-timeout", "greylist-account", "greylist-limit",
  "produce-time-offset-us", "last-block-time-offset-us", "cpu-effort-percent", "last-block-cpu-effort-percent",
  "max-block-cpu-usage-threshold-us", "max-block-net-usage-threshold-bytes",
  "max-scheduled-transaction-time-per-block-ms", "subjective-cpu-leeway-us", "subjective-account-max-failures",
  "subjective-account-decay-time-minutes", "incoming-defer-ratio", "incoming-transaction-queue-size-mb",
  "disable-subjective-billing", "disable-subjective-account-billing", "disable-subjective-p2p-billing",
  "disable-subjective-api-billing", "producer-threads", "snapshots-dir", "read-only-threads",
  "read-only-write-window-time-us", "read-only-read-window-time-us", "blocks-dir", "state-dir",
  "protocol-features-dir", "checkpoint", "wasm-runtime", "profile-account", "abi-serializer-max-time-ms",
  "chain-state-db-size-mb", "chain-state-db-guard-size-mb", "reversible-blocks-db-size-mb",
  "reversible-blocks-db-guard-size-mb", "signature-cpu-billable-pct", "chain-threads", "contracts-console",
  "deep-mind", "actor-whitelist", "actor-blacklist", "contract-whitelist", "contract-blacklist",
  "action-blacklist", "key-blacklist", "sender-bypass-whiteblacklist", "read-mode", "api-accept-transactions",
  "validation-mode", "disable-ram-billing-notify-checks", "maximum-variable-signature-length",
  "trusted-producer", "database-map-mode", "database-hugepage-path", "eos-vm-oc-cache-size-mb",
  "eos-vm-oc-compile-threads", "eos-vm-oc-enable", "enable-account-queries",
  "max-nonprivileged-inline-action-size", "transaction-retry-max-storage-size-gb",
  "transaction-retry-interval-sec", "transaction-retry-max-expiration-sec",
  "transaction-finality-status-max-storage-size-gb", "transaction-finality-status-success-duration-sec",
  "transaction-finality-status-failure-duration-sec", "integrity-hash-on-start", "integrity-hash-on-stop",
  "block-log-retain-blocks", "blocks-log-stride", "max-retained-block-files", "blocks-retained-dir",
  "blocks-archive-dir", "fix-irreversible-blocks", "state-history-dir", "trace-history", "chain-state-history",
  "state-history-endpoint", "state-history-unix-socket-path", "trace-history-debug-mode",
  "state-history-log-retain-blocks", "trace-dir", "trace-slice-stride",
  "trace-minimum-irreversible-history-blocks", "trace-minimum-uncompressed-irreversible-history-blocks",
  "trace-rpc-abi", "trace-no-abis", "resource-monitor-space-threshold",
  "resource-monitor-not-shutdown-on-threshold-exceeded", "resource-monitor-interval-seconds",
  "resource-monitor-warning-interval", "filter-on", "filter-out", "max-block-cpu-usage",
  "http-server-address-v6", "net-plugin-address", "terminate-at-block-num",
]);

/** Options of leap 5 that Spring 1.x removed: Spring refuses them like any unknown option. */
export const LEAP_ONLY_OPTIONS: ReadonlySet<string> = new Set(["producer-threads"]);

/** Options Spring 1.x added (Savanna finality); leap 5 refuses them. */
export const SPRING_ONLY_OPTIONS: ReadonlySet<string> = new Set(["vote-threads", "finalizers-dir", "finality-data-history"]);

/** Whether the nodeos flavour the simulator plays knows option `name` (command line or config.ini). */
export function isKnownOption(name: string, spring: boolean, cliOnly = true): boolean {
  if (cliOnly && CLI_ONLY_OPTIONS.has(name)) return true;
  if (spring) return (CONFIG_OPTIONS.has(name) && !LEAP_ONLY_OPTIONS.has(name)) || SPRING_ONLY_OPTIONS.has(name);
  return CONFIG_OPTIONS.has(name);
}

/** Options that may repeat; their values compose in order (multitoken, composing in nodeos). */
export const COMPOSING_OPTIONS: ReadonlySet<string> = new Set([
  "plugin", "p2p-peer-address", "signature-provider", "producer-name", "http-alias", "checkpoint",
  "actor-whitelist", "actor-blacklist", "contract-whitelist", "contract-blacklist", "action-blacklist",
  "key-blacklist", "sender-bypass-whiteblacklist", "trusted-producer", "greylist-account",
  "allowed-connection", "peer-key", "peer-private-key", "profile-account", "filter-on", "filter-out",
  "http-category-address", "p2p-auto-bp-peer",
]);

/** Options that are bool switches: on the command line they take no value. */
export const SWITCH_OPTIONS: ReadonlySet<string> = new Set([
  "help", "version", "full-version", "print-default-config", "replay-blockchain", "hard-replay-blockchain",
  "delete-all-blocks", "force-all-checks", "disable-replay-opts", "fix-reversible-blocks", "print-genesis-json",
  "print-build-info", "delete-state-history", "enable-stale-production", "pause-on-startup",
  "contracts-console", "deep-mind", "verbose-http-errors", "disable-subjective-billing", "trace-history",
  "chain-state-history", "trace-no-abis", "integrity-hash-on-start", "integrity-hash-on-stop",
  "enable-account-queries", "disable-ram-billing-notify-checks", "eos-vm-oc-enable", "fix-irreversible-blocks",
]);

/** Short command line aliases. */
export const SHORT_OPTIONS: ReadonlyMap<string, string> = new Map([
  ["h", "help"], ["v", "version"], ["d", "data-dir"], ["c", "config"], ["l", "logconf"], ["e", "enable-stale-production"],
  ["p", "producer-name"], ["x", "pause-on-startup"],
]);
