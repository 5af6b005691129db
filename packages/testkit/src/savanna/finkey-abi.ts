import { ABI } from "@wharfkit/antelope";

const KEY_FIELDS = [
  { name: "finalizer_name", type: "name" },
  { name: "finalizer_key", type: "string" },
];

/** The part of the eosio system contract's ABI the simulator runs: regfinkey, actfinkey, delfinkey. */
export const FINKEY_ABI: ABI = ABI.from({
  version: "eosio::abi/1.2",
  types: [],
  structs: [
    { name: "regfinkey", base: "", fields: [...KEY_FIELDS, { name: "proof_of_possession", type: "string" }] },
    { name: "actfinkey", base: "", fields: KEY_FIELDS },
    { name: "delfinkey", base: "", fields: KEY_FIELDS },
  ],
  actions: ["regfinkey", "actfinkey", "delfinkey"].map((name) => ({ name, type: name, ricardian_contract: "" })),
  tables: [],
  ricardian_clauses: [],
  variants: [],
  action_results: [],
});
