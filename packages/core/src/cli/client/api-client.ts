import { createParser, type EventSourceMessage } from "eventsource-parser";
import { defineError } from "../../errors/catalogue.js";
import { ManageosError } from "../../errors/manageos-error.js";
import type { JobRecord } from "../../jobs/job.js";

/** Errors of the CLI client itself (the API's own errors come back with their codes). */
export const ClientErrors = {
  unreachable: defineError("CLI_ERR_UNREACHABLE", 503, (api: string, reason: string) =>
    `cannot reach the manageos API at ${api}: ${reason} (set --api or MANAGEOS_API)`,
  ),
  badAnswer: defineError("CLI_ERR_BAD_ANSWER", 502, (status: number, body: string) => `unexpected answer ${status}: ${body.slice(0, 200)}`),
};

/** A thin client of the operator API. */
export class ApiClient {
  constructor(
    readonly base: string,
    readonly token: string | undefined,
  ) {}

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
        throw new ManageosError(coded.code, String(coded.message ?? coded.code), { details: coded.details });
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
