import { ABI } from "@wharfkit/antelope";

// The contracts of the generated chain: a token, the system account's account creation and setabi, and a contract
// whose ABI changes while the chain runs.

const AUTHORITY_STRUCTS = [
  {
    name: "permission_level",
    base: "",
    fields: [
      { name: "actor", type: "name" },
      { name: "permission", type: "name" },
    ],
  },
  {
    name: "key_weight",
    base: "",
    fields: [
      { name: "key", type: "public_key" },
      { name: "weight", type: "uint16" },
    ],
  },
  {
    name: "permission_level_weight",
    base: "",
    fields: [
      { name: "permission", type: "permission_level" },
      { name: "weight", type: "uint16" },
    ],
  },
  {
    name: "wait_weight",
    base: "",
    fields: [
      { name: "wait_sec", type: "uint32" },
      { name: "weight", type: "uint16" },
    ],
  },
  {
    name: "authority",
    base: "",
    fields: [
      { name: "threshold", type: "uint32" },
      { name: "keys", type: "key_weight[]" },
      { name: "accounts", type: "permission_level_weight[]" },
      { name: "waits", type: "wait_weight[]" },
    ],
  },
];

/** eosio: newaccount and setabi. */
export const EOSIO_ABI = ABI.from({
  version: "eosio::abi/1.1",
  structs: [
    ...AUTHORITY_STRUCTS,
    {
      name: "newaccount",
      base: "",
      fields: [
        { name: "creator", type: "name" },
        { name: "name", type: "name" },
        { name: "owner", type: "authority" },
        { name: "active", type: "authority" },
      ],
    },
    {
      name: "setabi",
      base: "",
      fields: [
        { name: "account", type: "name" },
        { name: "abi", type: "bytes" },
      ],
    },
  ],
  actions: [
    { name: "newaccount", type: "newaccount", ricardian_contract: "" },
    { name: "setabi", type: "setabi", ricardian_contract: "" },
  ],
});

/** eosio.token: transfer, and the balances table. */
export const TOKEN_ABI = ABI.from({
  version: "eosio::abi/1.1",
  structs: [
    {
      name: "transfer",
      base: "",
      fields: [
        { name: "from", type: "name" },
        { name: "to", type: "name" },
        { name: "quantity", type: "asset" },
        { name: "memo", type: "string" },
      ],
    },
    { name: "account", base: "", fields: [{ name: "balance", type: "asset" }] },
  ],
  actions: [{ name: "transfer", type: "transfer", ricardian_contract: "" }],
  tables: [{ name: "accounts", index_type: "i64", key_names: [], key_types: [], type: "account" }],
});

/** dex, first version: trade {trader, amount}. */
export const DEX_ABI_V1 = ABI.from({
  version: "eosio::abi/1.1",
  structs: [
    {
      name: "trade",
      base: "",
      fields: [
        { name: "trader", type: "name" },
        { name: "amount", type: "uint64" },
      ],
    },
  ],
  actions: [{ name: "trade", type: "trade", ricardian_contract: "" }],
});

/** dex, second version: trade {trader, amount, memo}. */
export const DEX_ABI_V2 = ABI.from({
  version: "eosio::abi/1.1",
  structs: [
    {
      name: "trade",
      base: "",
      fields: [
        { name: "trader", type: "name" },
        { name: "amount", type: "uint64" },
        { name: "memo", type: "string" },
      ],
    },
  ],
  actions: [{ name: "trade", type: "trade", ricardian_contract: "" }],
});
