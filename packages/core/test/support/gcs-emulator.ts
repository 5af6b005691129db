import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running GCS JSON API server on loopback. */
export interface GcsEmulator {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for `openStore(url, { apiEndpoint })`. */
  readonly endpoint: string;
  /** Closes the server and its connections and removes its blob directory. */
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
 * Buckets come into being on first use. Call `stop()` in afterAll.
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const { StorageEmulator } = require("firebase-tools/lib/emulator/storage/index.js") as { StorageEmulator: EmulatorClass };
  const { createApp } = require("firebase-tools/lib/emulator/storage/server.js") as {
    createApp(projectId: string, emulator: EmulatorInternals): Promise<ExpressApp>;
  };
  const { EmulatorRegistry } = require("firebase-tools/lib/emulator/registry.js") as { EmulatorRegistry: EmulatorRegistry };
  const blobs = await mkdtemp(join(tmpdir(), "manageos-gcs-"));
  // The emulator keeps blobs in a fixed shared directory unless told otherwise.
  let port = 0;
  class IsolatedEmulator extends StorageEmulator {
    override getPersistenceTmpDir(): string {
      return blobs;
    }
    // Bucket metadata builds its selfLink from the registry's host and port.
    override getInfo(): { name: string; host: string; port: number } {
      return { name: "storage", host: "127.0.0.1", port };
    }
  }
  const emulator = new IsolatedEmulator({ projectId: "manageos-test", rules: { name: "unused.rules", content: "" } });
  const app = await createApp("manageos-test", emulator);
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  port = (server.address() as AddressInfo).port;
  EmulatorRegistry.set("storage", emulator);
  return {
    host: "127.0.0.1",
    port,
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      if (EmulatorRegistry.get("storage") === emulator) EmulatorRegistry.clear("storage");
      await emulator.rulesManager.stop();
      await rm(blobs, { recursive: true, force: true });
    },
  };
}
