import type { Chain } from "@manageos/core";

/** Where nodeos' own API answers: what the Chain says (its port may be chosen at start), else the configured address. */
export function nodeApiUrl(chain: Chain, httpAddress: string): () => string {
  return () => chain.apiUrl?.() ?? `http://${httpAddress.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`;
}

/** Reads the active producer schedule, in order, from `POST /v1/chain/get_producer_schedule`. */
export async function fetchActiveSchedule(baseUrl: string, timeoutMs: number): Promise<string[]> {
  const response = await fetch(`${baseUrl}/v1/chain/get_producer_schedule`, {
    method: "POST",
    body: "{}",
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`get_producer_schedule answered ${response.status}`);
  const body = (await response.json()) as { active?: { producers?: unknown } };
  const producers = body.active?.producers;
  if (!Array.isArray(producers)) throw new Error("get_producer_schedule: no active.producers");
  return producers.map((p) => String((p as { producer_name?: unknown }).producer_name ?? ""));
}
