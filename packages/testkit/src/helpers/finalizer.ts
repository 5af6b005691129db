import { type PackedTransactionJson, signedTransaction } from "./transaction.js";
import { Action, KeyType, PrivateKey } from "@wharfkit/antelope";
import { FINKEY_ABI } from "../savanna/finkey-abi.js";

export type { PackedTransactionJson };

export { type FinalizerKey, generateFinalizerKey } from "../savanna/bls-keys.js";

/** A K1 account key: the public key for the cluster's `accounts`, the private key to sign with. */
export interface AccountKey {
  readonly publicKey: string;
  readonly privateKey: string;
}

/** A fresh K1 key for an account's active permission (createCluster's `accounts`). */
export function generateAccountKey(): AccountKey {
  const key = PrivateKey.generate(KeyType.K1);
  return { publicKey: key.toPublic().toLegacyString(), privateKey: key.toWif() };
}

/** An eosio finalizer key action and who signs it. */
export interface FinkeyActionOptions {
  readonly action: "regfinkey" | "actfinkey" | "delfinkey";
  readonly finalizerName: string;
  readonly finalizerKey: string;
  /** regfinkey only. */
  readonly proofOfPossession?: string;
  /** Signs the transaction (WIF or PVT_K1_). */
  readonly privateKey: string;
  /** Defaults to finalizerName@active. */
  readonly actor?: string;
  readonly permission?: string;
}

/** Builds and signs a transaction with one finalizer key action for chain `chainId`, TaPoS on `refBlockId`. */
export function finkeyTransaction(o: FinkeyActionOptions, chainId: string, refBlockId: string, headTimeMs: number): PackedTransactionJson {
  const data: Record<string, string> = { finalizer_name: o.finalizerName, finalizer_key: o.finalizerKey };
  if (o.action === "regfinkey") data.proof_of_possession = o.proofOfPossession ?? "";
  const action = Action.from(
    {
      account: "eosio",
      name: o.action,
      authorization: [{ actor: o.actor ?? o.finalizerName, permission: o.permission ?? "active" }],
      data,
    },
    FINKEY_ABI,
  );
  return signedTransaction(action, { chainId, headBlockId: refBlockId, headTimeMs }, o.privateKey);
}

/** Sends a finalizer key action to a node (send_transaction2 by default); resolves nodeos' status and answer. */
export async function sendFinkeyAction(
  nodeUrl: string,
  o: FinkeyActionOptions,
  via: "send_transaction2" | "push_transaction" = "send_transaction2",
): Promise<{ status: number; body: unknown }> {
  const info = (await (await fetch(`${nodeUrl}/v1/chain/get_info`)).json()) as {
    chain_id: string;
    head_block_id: string;
    head_block_time: string;
  };
  const packed = finkeyTransaction(o, info.chain_id, info.head_block_id, Date.parse(`${info.head_block_time}Z`));
  const body = via === "send_transaction2" ? { return_failure_trace: true, retry_trx: false, transaction: packed } : packed;
  const res = await fetch(`${nodeUrl}/v1/chain/${via}`, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as unknown };
}
