import { ABI, Action, PrivateKey } from "@wharfkit/antelope";
import { ProductionErrors } from "./errors.js";
import { signedTransaction } from "./transaction.js";

// The system contract's actfinkey action (Spring's eosio.system: `actfinkey(name finalizer_name, string finalizer_key)`).
const ACTFINKEY_ABI = ABI.from({
  version: "eosio::abi/1.2",
  types: [],
  structs: [
    {
      name: "actfinkey",
      base: "",
      fields: [
        { name: "finalizer_name", type: "name" },
        { name: "finalizer_key", type: "string" },
      ],
    },
  ],
  actions: [{ name: "actfinkey", type: "actfinkey", ricardian_contract: "" }],
  tables: [],
  ricardian_clauses: [],
  variants: [],
  action_results: [],
});

/** Who activates the finalizer key on chain: our producer name, the permission that may run actfinkey, its key. */
export interface FinalityOptions {
  readonly producerName: string;
  /** A permission of the producer account that may run eosio::actfinkey (`active`, or one linked to it). */
  readonly permission: string;
  /** That permission's private key (WIF or PVT_K1_); undefined: activation is left to a person. */
  readonly privateKey: string | undefined;
  /** Longest wait for the finalizers table to show the new key, ms. */
  readonly timeoutMs: number;
}

interface TableRows {
  readonly rows?: readonly Record<string, unknown>[];
}

/** Reads and changes which finalizer key of our producer is active, through nodeos' chain API. */
export class FinalityClient {
  readonly #opts: FinalityOptions;
  readonly #nodeUrl: () => string;

  constructor(opts: FinalityOptions, deps: { nodeUrl: () => string }) {
    this.#opts = opts;
    this.#nodeUrl = deps.nodeUrl;
  }

  /** Whether a key can be activated here (a key for the permission is configured). */
  get canActivate(): boolean {
    return this.#opts.privateKey !== undefined;
  }

  /** The producer's active finalizer key per the system contract's `finalizers` and `finkeys` tables; undefined when none. */
  async activeKey(): Promise<string | undefined> {
    const finalizers = await this.#rows("finalizers");
    const me = finalizers.find((r) => r.finalizer_name === this.#opts.producerName);
    if (me === undefined) return undefined;
    const finkeys = await this.#rows("finkeys");
    const key = finkeys.find((r) => Number(r.id) === Number(me.active_key_id))?.finalizer_key;
    return typeof key === "string" ? key : undefined;
  }

  /** Pushes `eosio::actfinkey` for `key` and waits until the tables show it active. */
  async activate(key: string, signal: AbortSignal, sleep: (ms: number) => Promise<void>): Promise<void> {
    const privateKey = this.#opts.privateKey;
    if (privateKey === undefined) throw ProductionErrors.finality("no key for the actfinkey permission (bp.finalityKeyFile)");
    const info = (await this.#post("get_info", {})) as { chain_id?: unknown; head_block_id?: unknown; head_block_time?: unknown };
    if (typeof info.chain_id !== "string" || typeof info.head_block_id !== "string" || typeof info.head_block_time !== "string") {
      throw ProductionErrors.finality("get_info did not give the chain id and head block");
    }
    try {
      PrivateKey.from(privateKey);
    } catch {
      throw ProductionErrors.finality("bp.finalityKeyFile does not hold a K1 private key");
    }
    const action = Action.from(
      {
        account: "eosio",
        name: "actfinkey",
        authorization: [{ actor: this.#opts.producerName, permission: this.#opts.permission }],
        data: { finalizer_name: this.#opts.producerName, finalizer_key: key },
      },
      ACTFINKEY_ABI,
    );
    const anchor = { chainId: info.chain_id, headBlockId: info.head_block_id, headTimeMs: Date.parse(`${info.head_block_time}Z`) };
    const packed = signedTransaction(action, anchor, privateKey);
    await this.#post("send_transaction2", { return_failure_trace: true, retry_trx: false, transaction: packed });
    const deadline = Date.now() + this.#opts.timeoutMs;
    while ((await this.activeKey()) !== key) {
      signal.throwIfAborted();
      if (Date.now() > deadline)
        throw ProductionErrors.finality(`the finalizers table does not show ${key} active after ${this.#opts.timeoutMs} ms`);
      await sleep(250);
    }
  }

  async #rows(table: "finalizers" | "finkeys"): Promise<Record<string, unknown>[]> {
    const body = (await this.#post("get_table_rows", { code: "eosio", scope: "eosio", table, json: true, limit: 1000 })) as TableRows;
    return Array.isArray(body.rows) ? [...body.rows] : [];
  }

  // One chain API call; nodeos' error (its `what` and first detail) becomes PRD_ERR_FINALITY.
  async #post(method: string, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.#nodeUrl()}/v1/chain/${method}`, {
        method: "POST",
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw ProductionErrors.finality(`${method}: ${(error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw ProductionErrors.finality(`${method} answered ${response.status} with non-JSON`);
    }
    if (!response.ok) {
      const e = (parsed as { error?: { what?: unknown; details?: { message?: unknown }[] } }).error;
      throw ProductionErrors.finality(
        `${method} answered ${response.status}: ${String(e?.what ?? "")} ${String(e?.details?.[0]?.message ?? "")}`.trim(),
      );
    }
    return parsed;
  }
}
