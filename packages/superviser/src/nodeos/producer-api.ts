import type { SnapshotInfo } from "@manageos/core";
import { SuperviserErrors } from "../errors/index.js";
import { asObject, callJson } from "./http-json.js";

/** Options of the producer API client. */
export interface ProducerApiOptions {
  /** nodeos base URL, e.g. `http://127.0.0.1:8888`. */
  baseUrl: string;
  timeoutMs?: number;
  /** create_snapshot can take minutes on a big state. */
  snapshotTimeoutMs?: number;
}

/** nodeos' `/v1/producer/*` API: pause, resume, paused, create_snapshot, get_integrity_hash. */
export class ProducerApi {
  /** Can move when nodeos reports the port it bound. */
  baseUrl: string;

  constructor(private readonly opts: ProducerApiOptions) {
    this.baseUrl = opts.baseUrl;
  }

  /** Stops producing (blocks are still received). */
  async pause(): Promise<void> {
    await this.call("pause");
  }

  /** Produces again when scheduled. */
  async resume(): Promise<void> {
    await this.call("resume");
  }

  /** True while production is paused. */
  async paused(): Promise<boolean> {
    const answer = await this.call("paused");
    if (typeof answer !== "boolean")
      throw SuperviserErrors.nodeApi("/v1/producer/paused", `expected true or false, got ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Writes a snapshot into the data dir's snapshots/ and says which. */
  async createSnapshot(): Promise<SnapshotInfo> {
    const o = asObject(await this.call("create_snapshot", this.opts.snapshotTimeoutMs ?? 600_000), "create_snapshot");
    return {
      headBlockId: String(o.head_block_id),
      headBlockNum: Number(o.head_block_num),
      headBlockTime: String(o.head_block_time),
      version: Number(o.version),
      snapshotName: String(o.snapshot_name),
    };
  }

  /** The state integrity hash and the head it was taken at. */
  async getIntegrityHash(): Promise<{ headBlockId: string; integrityHash: string }> {
    const o = asObject(await this.call("get_integrity_hash"), "get_integrity_hash");
    return { headBlockId: String(o.head_block_id), integrityHash: String(o.integrity_hash) };
  }

  private call(name: string, timeoutMs = this.opts.timeoutMs ?? 5_000): Promise<unknown> {
    return callJson(`${this.baseUrl}/v1/producer/${name}`, { timeoutMs, body: {} });
  }
}
