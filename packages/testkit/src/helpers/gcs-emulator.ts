import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A GCS JSON API server on loopback that can go down and come back on the same port with its objects. */
export interface GcsEmulator {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for `STORAGE_EMULATOR_HOST` or `openStore(url, { apiEndpoint })`. */
  readonly endpoint: string;
  /** Closes the listener and every open connection: requests fail with ECONNREFUSED, as in an outage. */
  down(): Promise<void>;
  /** Listens again on the same port; objects stored before the outage are still there. */
  up(): Promise<void>;
  /** Closes the server and removes its blob directory. */
  stop(): Promise<void>;
}

// The parts of firebase-tools' (untyped, CommonJS) storage emulator we drive.
interface EmulatorInternals {
  readonly rulesManager: { stop(): Promise<void> };
  getPersistenceTmpDir(): string;
  getInfo(): { name: string; host: string; port: number };
}
interface EmulatorRegistry {
  get(name: string): unknown;
  set(name: string, instance: EmulatorInternals): void;
  clear(name: string): void;
}
type EmulatorClass = new (args: { projectId: string; rules: { name: string; content: string } }) => EmulatorInternals;
interface ExpressApp {
  listen(port: number, host: string): Server;
}

const require = createRequire(import.meta.url);

/**
 * Starts the Cloud Storage emulator of firebase-tools on 127.0.0.1, port 0, from code: no CLI,
 * no Java rules runtime (the gcloud JSON API it serves is admin-only and never consults rules).
 * Buckets come into being on first use. With an outage switch: the express app and the emulator's
 * state outlive the listener. Call `stop()` in afterAll.
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const { StorageEmulator } = require("firebase-tools/lib/emulator/storage/index.js") as { StorageEmulator: EmulatorClass };
  const { createApp } = require("firebase-tools/lib/emulator/storage/server.js") as {
    createApp(projectId: string, emulator: EmulatorInternals): Promise<ExpressApp>;
  };
  const { EmulatorRegistry } = require("firebase-tools/lib/emulator/registry.js") as { EmulatorRegistry: EmulatorRegistry };
  const blobs = await mkdtemp(join(tmpdir(), "manageos-gcs-"));
  let port = 0;
  class IsolatedEmulator extends StorageEmulator {
    override getPersistenceTmpDir(): string {
      return blobs;
    }
    override getInfo(): { name: string; host: string; port: number } {
      return { name: "storage", host: "127.0.0.1", port };
    }
  }
  const emulator = new IsolatedEmulator({ projectId: "manageos-test", rules: { name: "unused.rules", content: "" } });
  const app = await createApp("manageos-test", emulator);
  let server: Server | undefined;
  const listen = async (on: number): Promise<number> => {
    const next = app.listen(on, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      next.once("listening", resolve);
      next.once("error", reject);
    });
    server = next;
    return (next.address() as AddressInfo).port;
  };
  const close = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
  };
  port = await listen(0);
  EmulatorRegistry.set("storage", emulator);
  return {
    host: "127.0.0.1",
    port,
    endpoint: `http://127.0.0.1:${port}`,
    down: close,
    async up() {
      await listen(port);
    },
    async stop() {
      await close();
      if (EmulatorRegistry.get("storage") === emulator) EmulatorRegistry.clear("storage");
      await emulator.rulesManager.stop();
      await rm(blobs, { recursive: true, force: true });
    },
  };
}
