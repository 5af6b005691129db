import { ManageosError } from "@manageos/core";
import { ProductionErrors } from "./errors.js";

/** A peer manageos' operator API, for handoff and takeover. */
export class PeerClient {
  constructor(
    readonly base: string,
    readonly token: string | undefined,
    readonly timeoutMs: number,
  ) {}

  /** Calls a route; a coded refusal comes back as a ManageosError with the peer's code, transport trouble as PRD_ERR_PEER. */
  async call(method: "GET" | "POST", path: string, timeoutMs = this.timeoutMs): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), {
        method,
        headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw ProductionErrors.peer(this.base, (error as Error).message, { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw ProductionErrors.peer(this.base, `answered ${response.status} with non-JSON`);
    }
    if (!response.ok) {
      const coded = body as { code?: unknown; message?: unknown; details?: Record<string, unknown> } | undefined;
      if (typeof coded?.code === "string") {
        throw new ManageosError(coded.code, String(coded.message ?? coded.code), { details: { peer: this.base, status: response.status } });
      }
      throw ProductionErrors.peer(this.base, `answered ${response.status}`);
    }
    return body;
  }

  /** The peer's status document. */
  async status(): Promise<Record<string, unknown>> {
    return (await this.call("GET", "/v1/manageos/status")) as Record<string, unknown>;
  }
}
