/** What `nodeos --print-default-config` prints (abridged to the options the simulator knows best). */
export const DEFAULT_CONFIG_INI = `# the endpoint upon which to listen for incoming connections (eosio::net_plugin)
# p2p-listen-endpoint = 0.0.0.0:9876

# The actual host:port used to listen for incoming p2p connections. (eosio::net_plugin)
# p2p-peer-address =

# The local IP and port to listen for incoming http connections; set blank to disable. (eosio::http_plugin)
# http-server-address = 127.0.0.1:8888

# Maximum size (in MiB) of the chain state database (eosio::chain_plugin)
# chain-state-db-size-mb = 1024

# print deep mind information (eosio::chain_plugin)
# deep-mind = false

# Enable block production, even if the chain is stale. (eosio::producer_plugin)
# enable-stale-production = false

# Start this node in a state where production is paused (eosio::producer_plugin)
# pause-on-startup = false

# ID of producer controlled by this node (e.g. inita; may specify multiple times) (eosio::producer_plugin)
# producer-name =

# Key=Value pairs in the form <public-key>=<provider-spec> (eosio::producer_plugin)
# signature-provider = EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3

# Plugin(s) to enable, may be specified multiple times
# plugin =
`;

/** What Spring 1.x adds to `--print-default-config` (abridged). */
export const SPRING_DEFAULT_CONFIG_INI = `${DEFAULT_CONFIG_INI}
# Number of worker threads for vote processing (eosio::net_plugin)
# vote-threads = 4

# Directory for finalizer safety persistence file (eosio::producer_plugin)
# finalizers-dir = "finalizers"

# Number of blocks to retain finality data in the finality data log (eosio::chain_plugin)
# finality-data-history =
`;
