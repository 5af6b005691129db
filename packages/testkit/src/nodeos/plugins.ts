/** Plugins nodeos knows (leap and EOSIO 1.x names); `plugin = x` with any other name fails startup. */
export const KNOWN_PLUGINS: ReadonlySet<string> = new Set([
  "eosio::chain_plugin",
  "eosio::chain_api_plugin",
  "eosio::http_plugin",
  "eosio::net_plugin",
  "eosio::net_api_plugin",
  "eosio::producer_plugin",
  "eosio::producer_api_plugin",
  "eosio::db_size_api_plugin",
  "eosio::state_history_plugin",
  "eosio::trace_api_plugin",
  "eosio::prometheus_plugin",
  "eosio::resource_monitor_plugin",
  "eosio::signature_provider_plugin",
  "eosio::test_control_plugin",
  "eosio::test_control_api_plugin",
  "eosio::history_plugin",
  "eosio::history_api_plugin",
  "eosio::login_plugin",
  "eosio::txn_test_gen_plugin",
  "eosio::http_client_plugin",
]);

/** The plugin each API path prefix needs. */
export const API_PLUGINS: ReadonlyArray<readonly [prefix: string, plugin: string]> = [
  ["/v1/chain/", "eosio::chain_api_plugin"],
  ["/v1/producer/", "eosio::producer_api_plugin"],
  ["/v1/net/", "eosio::net_api_plugin"],
  ["/v1/db_size/", "eosio::db_size_api_plugin"],
];
