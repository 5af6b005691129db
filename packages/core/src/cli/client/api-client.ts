import { createParser, type EventSourceMessage } from "eventsource-parser";
import { defineError } from "../../errors/catalogue.js";
import { ManageosError } from "../../errors/manageos-error.js";
import type { JobRecord } from "../../jobs/job.js";

/** Errors of the CLI client itself (the API's own errors come back with their codes). */
export const ClientErrors = {
  unreachable: defineError(
    "CLI_ERR_UNREACHABLE",
    503,
    (api: string, reason: string) => `cannot reach the manageos API at ${api}: ${reason} (set --api or MANAGEOS_API)`,
  ),
  badAnswer: defineError("CLI_ERR_BAD_ANSWER", 502, (status: number, body: string) => `unexpected answer ${status}: ${body.slice(0, 200)}`),
  badApi: defineError(
    "CLI_ERR_BAD_API",
    400,
    (api: string) =>
      `${api} is not an address of the operator API (--api or MANAGEOS_API): expected http://host:port, https://host:port or host:port, such as http://127.0.0.1:8080`,
  ),
};

/** The operator API's base URL from `--api` or MANAGEOS_API: `host:port` means `http://host:port`. */
export function apiBaseUrl(api: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(api) ? api : `http://${api}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw ClientErrors.badApi(api);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") throw ClientErrors.badApi(api);
  return url.href.replace(/\/$/, "");
}

/** A thin client of the operator API. */
export class ApiClient {
  readonly base: string;

  /** `api`: the operator API, `http(s)://host:port` or `host:port` (CLI_ERR_BAD_API otherwise). */
  constructor(
    api: string,
    readonly token: string | undefined,
  ) {
    this.base = apiBaseUrl(api);
  }

  /** Calls a route; a non-2xx answer becomes a ManageosError with the API's code. */
  async call(method: string, path: string): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), { method, headers: this.#headers() });
    } catch (error) {
      throw ClientErrors.unreachable(this.base, causeMessage(error), { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw ClientErrors.badAnswer(response.status, text);
    }
    if (!response.ok) {
      const coded = body as { code?: unknown; message?: unknown; details?: Record<string, unknown> } | undefined;
      if (typeof coded?.code === "string") {
        const message = String(coded.message ?? coded.code);
        // The API says what it needs; the CLI says how to give it.
        const hint =
          response.status !== 401
            ? ""
            : this.token === undefined
              ? "; pass --token <token> or set MANAGEOS_TOKEN"
              : "; the token given was refused: check --token or MANAGEOS_TOKEN";
        throw new ManageosError(coded.code, `${message}${hint}`, { details: coded.details });
      }
      throw ClientErrors.badAnswer(response.status, text);
    }
    return { status: response.status, body };
  }

  /** Follows a job's SSE stream, calling `onUpdate` for each state, until it finishes; returns the last record. */
  async follow(id: string, onUpdate: (job: JobRecord) => void): Promise<JobRecord> {
    let response: Response;
    try {
      response = await fetch(new URL(`/v1/jobs/${id}/events`, this.base), {
        headers: { ...this.#headers(), accept: "text/event-stream" },
      });
    } catch (error) {
      throw ClientErrors.unreachable(this.base, causeMessage(error), { cause: error });
    }
    if (!response.ok || response.body === null) throw ClientErrors.badAnswer(response.status, await response.text());
    let last: JobRecord | undefined;
    const parser = createParser({
      onEvent: (event: EventSourceMessage) => {
        if (event.event !== "job") return;
        last = JSON.parse(event.data) as JobRecord;
        onUpdate(last);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    if (last === undefined) throw ClientErrors.badAnswer(response.status, "the job stream ended without an update");
    // The stream ends once the job is finished; ask once more in case the last update was coalesced away.
    const { body } = await this.call("GET", `/v1/jobs/${id}`);
    return (body as { job: JobRecord }).job;
  }

  #headers(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
  }
}

function causeMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
