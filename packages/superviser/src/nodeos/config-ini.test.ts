import { describe, expect, it } from "vitest";
import { buildConfigIni } from "./config-file.js";
import { formatIni, getValues, parseIni } from "./config-ini.js";

const TEMPLATE = `# nodeos config
plugin = eosio::chain_api_plugin
p2p-peer-address = a.example:9876
plugin = eosio::producer_api_plugin
p2p-peer-address = b.example:9876
signature-provider = EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV=KEY:5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3
http-server-address = 0.0.0.0:8888
chain-state-db-size-mb = 1024
`;

describe("config.ini", () => {
  it("round-trips repeated keys in order and values containing =", () => {
    const doc = parseIni(TEMPLATE);
    expect(formatIni(doc)).toBe(TEMPLATE);
    expect(getValues(doc, "plugin")).toEqual(["eosio::chain_api_plugin", "eosio::producer_api_plugin"]);
    expect(getValues(doc, "signature-provider")[0]).toMatch(/^EOS6M.*=KEY:5KQ/);
  });

  it("replaces managed keys in place and keeps the rest", () => {
    const doc = buildConfigIni(TEMPLATE, {
      httpServerAddress: "127.0.0.1:18888",
      pauseOnStartup: true,
      producerName: "bp.a",
      signatureProviders: [
        "EOS1=KEOSD:http://127.0.0.1:6666/v1/wallet/sign_digest",
        "EOS2=KEOSD:http://127.0.0.1:6666/v1/wallet/sign_digest",
      ],
      deepMind: true,
      extra: { "p2p-peer-address": ["c.example:9876", "d.example:9876"], "enable-stale-production": "true" },
    });
    const text = formatIni(doc);
    expect(text).toBe(`# nodeos config
plugin = eosio::chain_api_plugin
p2p-peer-address = c.example:9876
p2p-peer-address = d.example:9876
plugin = eosio::producer_api_plugin
plugin = eosio::producer_plugin
signature-provider = EOS1=KEOSD:http://127.0.0.1:6666/v1/wallet/sign_digest
signature-provider = EOS2=KEOSD:http://127.0.0.1:6666/v1/wallet/sign_digest
http-server-address = 127.0.0.1:18888
chain-state-db-size-mb = 1024
enable-stale-production = true
pause-on-startup = true
producer-name = bp.a
deep-mind = true
`);
  });

  it("adds the plugins manageos needs after the template's own", () => {
    const text = formatIni(
      buildConfigIni("plugin = eosio::net_plugin\n# peers\np2p-peer-address = a:9876\n", { httpServerAddress: "127.0.0.1:8888" }),
    );
    expect(text).toBe(`plugin = eosio::net_plugin
plugin = eosio::chain_api_plugin
plugin = eosio::producer_plugin
plugin = eosio::producer_api_plugin
# peers
p2p-peer-address = a:9876
http-server-address = 127.0.0.1:8888
`);
    expect(getValues(buildConfigIni("", { httpServerAddress: "127.0.0.1:8888" }), "plugin")).toEqual([
      "eosio::chain_api_plugin",
      "eosio::producer_plugin",
      "eosio::producer_api_plugin",
    ]);
  });

  it("refuses a line that is not key = value, with its number", () => {
    expect(() => parseIni("plugin = x\njunk line\n")).toThrow(/line 2/);
  });
});
