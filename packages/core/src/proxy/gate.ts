import { EventEmitter } from "node:events";

/** Why the public proxy is closed. */
export type GateReason = "stopped" | "not-synced" | "maintenance" | "backup" | "restore" | "snapshot" | "reload" | "shutdown";

/** A snapshot of the gate for the status API and 503 answers. */
export interface GateStatus {
  readonly open: boolean;
  readonly reasons: readonly GateReason[];
  /** ISO time of the last change. */
  readonly since: string;
}

/** The public proxy's gate: open only while no reason to keep it closed remains. */
export class ProxyGate extends EventEmitter<{ change: [GateStatus] }> {
  readonly #reasons = new Set<GateReason>();
  #since = new Date().toISOString();

  constructor(initial: readonly GateReason[] = ["stopped", "not-synced"]) {
    super();
    for (const reason of initial) this.#reasons.add(reason);
  }

  /** Adds a reason to stay closed. */
  close(reason: GateReason): void {
    if (this.#reasons.has(reason)) return;
    this.#reasons.add(reason);
    this.#changed();
  }

  /** Removes a reason; the gate opens when none is left. */
  release(reason: GateReason): void {
    if (!this.#reasons.delete(reason)) return;
    this.#changed();
  }

  /** Sets or clears one reason from a condition. */
  set(reason: GateReason, closed: boolean): void {
    if (closed) this.close(reason);
    else this.release(reason);
  }

  get isOpen(): boolean {
    return this.#reasons.size === 0;
  }

  status(): GateStatus {
    return { open: this.isOpen, reasons: [...this.#reasons], since: this.#since };
  }

  #changed(): void {
    this.#since = new Date().toISOString();
    this.emit("change", this.status());
  }
}
