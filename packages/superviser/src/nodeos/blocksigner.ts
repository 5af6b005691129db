import type { Logger } from "@manageos/core";
import { SuperviserErrors } from "../errors/index.js";
import { type Clock, sleep, systemClock } from "../process/clock.js";
import { callJson } from "./http-json.js";

/** How hard to try the blocksigner. */
export interface BlocksignerOptions {
  /** Base URL, e.g. `http://127.0.0.1:6666`. */
  url: string;
  attempts?: number;
  retryBase?: number;
  timeoutMs?: number;
}

/** Asks the blocksigner (keosd wallet API) for its public keys, with bounded retries and backoff. */
export async function fetchBlocksignerKeys(opts: BlocksignerOptions, deps: { logger: Logger; clock?: Clock }): Promise<string[]> {
  const attempts = opts.attempts ?? 5;
  const clock = deps.clock ?? systemClock;
  const url = `${opts.url.replace(/\/+$/, "")}/v1/wallet/get_public_keys`;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const answer = await callJson(url, { timeoutMs: opts.timeoutMs ?? 5_000, body: [] });
      if (!Array.isArray(answer) || !answer.every((k) => typeof k === "string")) {
        throw new Error(`expected an array of public keys, got ${JSON.stringify(answer)?.slice(0, 200)}`);
      }
      return answer as string[];
    } catch (error) {
      last = error;
      deps.logger.warn({ err: error, attempt, attempts }, "blocksigner not answering");
      if (attempt < attempts) await sleep(clock, (opts.retryBase ?? 500) * 2 ** (attempt - 1));
    }
  }
  throw SuperviserErrors.blocksigner(opts.url, attempts, (last as Error).message, { cause: last });
}

/** The config.ini value that makes nodeos sign with a key held by the blocksigner. */
export function keosdSignatureProvider(publicKey: string, blocksignerUrl: string): string {
  return `${publicKey}=KEOSD:${blocksignerUrl.replace(/\/+$/, "")}/v1/wallet/sign_digest`;
}
