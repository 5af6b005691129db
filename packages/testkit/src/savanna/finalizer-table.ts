import { mkdir, readFile, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { atomicWrite } from "@manageos/core";
import { blsProofOfPossession, isBlsPublicKey } from "./bls-keys.js";

/** A registered finalizer key: a row of the system contract's `finkeys` table (finalizer_key_info). */
export interface FinKeyRow {
  readonly id: number;
  readonly finalizer_name: string;
  readonly finalizer_key: string;
}

/** A finalizer: a row of the `finalizers` table (finalizer_info), pointing at its active key. */
export interface FinalizerRow {
  readonly finalizer_name: string;
  readonly active_key_id: number;
  readonly finalizer_key_count: number;
}

/** The on-chain finalizer state the simulator keeps in `finalizers.json` (cluster dir, or `<data-dir>/state`). */
export interface FinalizerTables {
  readonly nextKeyId: number;
  readonly finkeys: readonly FinKeyRow[];
  readonly finalizers: readonly FinalizerRow[];
}

/** An action of the system contract on finalizer keys. */
export type FinKeyAction =
  | { readonly name: "regfinkey"; readonly finalizer_name: string; readonly finalizer_key: string; readonly proof_of_possession: string }
  | { readonly name: "actfinkey" | "delfinkey"; readonly finalizer_name: string; readonly finalizer_key: string };

const EMPTY: FinalizerTables = { nextKeyId: 0, finkeys: [], finalizers: [] };
const LOCK_WAIT_MS = 5_000;

/** `<dir>/finalizers.json`. */
export function finalizerTablesFile(dir: string): string {
  return join(dir, "finalizers.json");
}

/** Reads the tables; empty when the file is absent. */
export async function readFinalizerTables(dir: string): Promise<FinalizerTables> {
  let text: string;
  try {
    text = await readFile(finalizerTablesFile(dir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return EMPTY;
    throw error;
  }
  const v = JSON.parse(text) as Partial<FinalizerTables>;
  return { nextKeyId: Number(v.nextKeyId ?? 0), finkeys: v.finkeys ?? [], finalizers: v.finalizers ?? [] };
}

/** The active finalizer key of each finalizer: the finalizer policy the simulator votes under. */
export function activeKeys(t: FinalizerTables): Map<string, string> {
  const byId = new Map(t.finkeys.map((k) => [k.id, k.finalizer_key]));
  const out = new Map<string, string>();
  for (const f of t.finalizers) {
    const key = byId.get(f.active_key_id);
    if (key !== undefined) out.set(key, f.finalizer_name);
  }
  return out;
}

/** The message of the contract's failed `check`, as eosio_assert_message reports it. */
export class ContractAssert extends Error {}

/** Applies one action to the tables as the system contract does, or throws ContractAssert with its message. */
export function applyFinKeyAction(t: FinalizerTables, a: FinKeyAction, producers: readonly string[]): FinalizerTables {
  if (!producers.includes(a.finalizer_name)) throw new ContractAssert(`finalizer ${a.finalizer_name} is not a registered producer`);
  if (!isBlsPublicKey(a.finalizer_key)) throw new ContractAssert("finalizer key does not start with PUB_BLS");
  const row = t.finkeys.find((k) => k.finalizer_key === a.finalizer_key);
  const fin = t.finalizers.find((f) => f.finalizer_name === a.finalizer_name);
  const others = t.finalizers.filter((f) => f.finalizer_name !== a.finalizer_name);
  if (a.name === "regfinkey") {
    if (!a.proof_of_possession.startsWith("SIG_BLS_"))
      throw new ContractAssert("proof of possession signature does not start with SIG_BLS");
    if (row !== undefined) throw new ContractAssert(`duplicate finalizer key: ${a.finalizer_key}`);
    if (a.proof_of_possession !== blsProofOfPossession(a.finalizer_key)) throw new ContractAssert("proof of possession check failed");
    const id = t.nextKeyId;
    const finkeys = [...t.finkeys, { id, finalizer_name: a.finalizer_name, finalizer_key: a.finalizer_key }];
    // The first key a finalizer registers is also its active key.
    const updated =
      fin === undefined
        ? { finalizer_name: a.finalizer_name, active_key_id: id, finalizer_key_count: 1 }
        : { ...fin, finalizer_key_count: fin.finalizer_key_count + 1 };
    return { nextKeyId: id + 1, finkeys, finalizers: sorted([...others, updated]) };
  }
  if (row === undefined) throw new ContractAssert(`finalizer key was not registered: ${a.finalizer_key}`);
  if (row.finalizer_name !== a.finalizer_name || fin === undefined)
    throw new ContractAssert(`finalizer key was not registered by the finalizer: ${a.finalizer_key}`);
  if (a.name === "actfinkey") {
    if (fin.active_key_id === row.id) throw new ContractAssert(`finalizer key was already active: ${a.finalizer_key}`);
    return { ...t, finalizers: sorted([...others, { ...fin, active_key_id: row.id }]) };
  }
  if (fin.active_key_id === row.id && fin.finalizer_key_count > 1)
    throw new ContractAssert("cannot delete an active key unless it is the last registered finalizer key");
  const finkeys = t.finkeys.filter((k) => k.id !== row.id);
  const rest = fin.finalizer_key_count > 1 ? [...others, { ...fin, finalizer_key_count: fin.finalizer_key_count - 1 }] : others;
  return { ...t, finkeys, finalizers: sorted(rest) };
}

function sorted(rows: FinalizerRow[]): FinalizerRow[] {
  return rows.sort((a, b) => (a.finalizer_name < b.finalizer_name ? -1 : a.finalizer_name > b.finalizer_name ? 1 : 0));
}

/** Reads, changes and rewrites the tables under a lock dir, so that nodes sharing a cluster dir never lose an update. */
export async function updateFinalizerTables(dir: string, change: (t: FinalizerTables) => FinalizerTables): Promise<FinalizerTables> {
  const lock = join(dir, "finalizers.lock");
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  try {
    const next = change(await readFinalizerTables(dir));
    await atomicWrite(finalizerTablesFile(dir), `${JSON.stringify(next, null, 2)}\n`);
    return next;
  } finally {
    await rmdir(lock);
  }
}

/** The tables after registering `keys` per finalizer in order (the first one active), for a new chain. */
export function seedFinalizerTables(keys: Readonly<Record<string, readonly string[]>>, producers: readonly string[]): FinalizerTables {
  let t = EMPTY;
  for (const [name, list] of Object.entries(keys))
    for (const key of list)
      t = applyFinKeyAction(
        t,
        { name: "regfinkey", finalizer_name: name, finalizer_key: key, proof_of_possession: blsProofOfPossession(key) },
        producers,
      );
  return t;
}

/** get_table_rows' rows for `finkeys` and `finalizers`, with the binary key fields the contract stores. */
export function tableRows(t: FinalizerTables, table: "finkeys" | "finalizers"): Record<string, unknown>[] {
  const binary = (key: string | undefined) => (key === undefined ? "" : Buffer.from(key.slice(8), "base64url").toString("hex"));
  if (table === "finkeys") return t.finkeys.map((k) => ({ ...k, finalizer_key_binary: binary(k.finalizer_key) }));
  const byId = new Map(t.finkeys.map((k) => [k.id, k.finalizer_key]));
  return t.finalizers.map((f) => ({
    finalizer_name: f.finalizer_name,
    active_key_id: f.active_key_id,
    active_key_binary: binary(byId.get(f.active_key_id)),
    finalizer_key_count: f.finalizer_key_count,
  }));
}
