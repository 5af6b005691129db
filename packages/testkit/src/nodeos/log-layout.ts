/** Log line layout: leap (`nodeos` thread, full receive stats) or EOSIO 1.x (`thread-0`, `conf:`). */
export type LogLayout = "leap" | "legacy";
