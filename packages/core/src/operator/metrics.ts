import { Gauge, type Registry } from "prom-client";
import { metricName } from "../metrics/registry.js";
import type { ProxyGate } from "../proxy/gate.js";

/** The operator's metrics. */
export interface OperatorMetrics {
  readonly synced: Gauge;
  readonly proxyOpen: Gauge;
}

/** Declares the operator's metrics on a registry. */
export function createOperatorMetrics(registry: Registry, gate: ProxyGate): OperatorMetrics {
  const proxyOpen = new Gauge({
    name: metricName("proxy_open"),
    help: "1 while the public proxy forwards requests to the node",
    registers: [registry],
  });
  proxyOpen.set(gate.isOpen ? 1 : 0);
  gate.on("change", (status) => proxyOpen.set(status.open ? 1 : 0));
  return {
    synced: new Gauge({ name: metricName("node_synced"), help: "1 while the node is synced", registers: [registry] }),
    proxyOpen,
  };
}
