import { SuperviserErrors } from "../errors/index.js";

/** Options of one JSON call. */
export interface JsonCallOptions {
  timeoutMs: number;
  body?: unknown;
  method?: "GET" | "POST";
}

/** POSTs (or GETs) JSON with a timeout and returns the parsed answer; coded errors on failure. */
export async function callJson(url: string, opts: JsonCallOptions): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: opts.method ?? "POST",
      headers: { "content-type": "application/json" },
      body: opts.method === "GET" ? undefined : JSON.stringify(opts.body ?? {}),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (error) {
    if ((error as Error).name === "TimeoutError") throw SuperviserErrors.nodeApiTimeout(url, opts.timeoutMs, { cause: error });
    throw SuperviserErrors.nodeApi(url, describe(error), { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    throw SuperviserErrors.nodeApi(url, `HTTP ${response.status}: ${text.slice(0, 500)}`, {
      details: { status: response.status },
    });
  }
  try {
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch (error) {
    throw SuperviserErrors.nodeApi(url, `answer is not JSON: ${text.slice(0, 200)}`, { cause: error });
  }
}

// The useful part of a fetch failure (undici hides the reason in `cause`).
function describe(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** Narrows an unknown JSON answer to an object. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw SuperviserErrors.nodeApi(what, `expected a JSON object, got ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}
