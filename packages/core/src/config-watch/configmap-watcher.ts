import { readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { atomicWrite } from "../fs/atomic-write.js";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Which ConfigMap to follow and where its keys are written. */
export interface ConfigMapWatcherOptions {
  readonly name: string;
  /** Else the pod's namespace (service account), else the kubeconfig context's, else `default`. */
  readonly namespace?: string;
  /** Each data key becomes a file here; the directory watcher takes it from there. */
  readonly dir: string;
  /** Wait before watching again after an error; doubles up to 30 s. */
  readonly retryMs?: number;
}

interface ConfigMapObject {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly data?: Record<string, string>;
  readonly code?: number;
}

/**
 * Follows one ConfigMap through the Kubernetes API watch (in-cluster credentials, or `KUBECONFIG`) and mirrors its
 * `data` into a directory, one file per key, written atomically; keys that go away are removed. A closed watch is
 * resumed from the last resourceVersion, an expired one (410) from scratch.
 */
export class ConfigMapWatcher {
  readonly #opts: ConfigMapWatcherOptions;
  readonly #logger: Logger;
  readonly #kubeConfig: KubeConfig | undefined;
  #abort: AbortController | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;
  #resourceVersion: string | undefined;
  #wake: (() => void) | undefined;
  #applied = 0;

  constructor(opts: ConfigMapWatcherOptions, deps: { logger: Logger; kubeConfig?: KubeConfig }) {
    this.#opts = opts;
    this.#logger = deps.logger.child({ module: "configmap-watch", configmap: opts.name });
    this.#kubeConfig = deps.kubeConfig;
  }

  /** How many ConfigMap versions were written to the directory. */
  get applied(): number {
    return this.#applied;
  }

  /** The resourceVersion of the last event received, which a resumed watch starts from. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Starts watching in the background. */
  async start(): Promise<void> {
    const k8s = await import("@kubernetes/client-node");
    let kc = this.#kubeConfig;
    if (kc === undefined) {
      kc = new k8s.KubeConfig();
      kc.loadFromDefault();
    }
    const namespace = await this.#namespace(kc);
    const watch = new k8s.Watch(kc);
    this.#logger.info({ namespace }, "watching the ConfigMap");
    this.#loop = this.#run(watch, namespace);
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort?.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(watch: import("@kubernetes/client-node").Watch, namespace: string): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
    let retry = this.#opts.retryMs ?? 1_000;
    while (!this.#closed) {
      // `opened`: the API answered 200 and the watch was streaming (watch() resolves only then, or after done on a failure).
      let opened = false;
      const { error, idle } = await new Promise<{ error: unknown; idle: boolean }>((resolve) => {
        watch
          .watch(
            path,
            { fieldSelector: `metadata.name=${this.#opts.name}`, resourceVersion: this.#resourceVersion, allowWatchBookmarks: true },
            (type: string, object: ConfigMapObject) => {
              retry = this.#opts.retryMs ?? 1_000;
              void this.#onEvent(type, object);
            },
            (err: unknown) => resolve({ error: err, idle: opened && isTimeout(err) }),
          )
          .then(
            (abort) => {
              opened = true;
              this.#abort = abort;
              if (this.#closed) abort.abort();
            },
            (err: unknown) => resolve({ error: err, idle: false }),
          );
      });
      if (this.#closed) return;
      // @kubernetes/client-node 2 ends a watch that has been silent for 30 s; a quiet ConfigMap is no failure.
      if (idle) {
        this.#logger.debug({ resourceVersion: this.#resourceVersion }, "ConfigMap watch idle; resuming");
        continue;
      }
      if (error !== null && error !== undefined) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 410) this.#resourceVersion = undefined;
        this.#logger.warn({ err: error, retryMs: retry }, "ConfigMap watch failed; retrying");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retry);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        retry = Math.min(30_000, retry * 2);
      }
    }
  }

  #writing: Promise<void> = Promise.resolve();

  #onEvent(type: string, object: ConfigMapObject): Promise<void> {
    if (type === "ERROR") {
      // 410 Gone: the version we resume from is too old; start over.
      if (object.code === 410) this.#resourceVersion = undefined;
      this.#abort?.abort();
      return Promise.resolve();
    }
    const version = object.metadata?.resourceVersion;
    if (version !== undefined) this.#resourceVersion = version;
    if (type === "BOOKMARK" || object.metadata?.name !== this.#opts.name) return Promise.resolve();
    if (type === "DELETED") {
      this.#logger.warn("the ConfigMap was deleted; keeping the last configuration");
      return Promise.resolve();
    }
    this.#writing = this.#writing
      .then(() => this.#mirror(object.data ?? {}))
      .catch((error: unknown) => {
        this.#logger.error({ err: error }, "could not write the ConfigMap's data");
      });
    return this.#writing;
  }

  // Writes changed keys only, so an unchanged ConfigMap (a re-sent ADDED) changes nothing on disk.
  async #mirror(data: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.startsWith("..")) continue;
      const file = join(this.#opts.dir, key);
      const old = await readFile(file, "utf8").catch(() => undefined);
      if (old !== value) await atomicWrite(file, value);
    }
    for (const name of await readdir(this.#opts.dir).catch(() => [] as string[])) {
      if (!name.startsWith(".") && !(name in data)) await rm(join(this.#opts.dir, name), { force: true });
    }
    this.#applied++;
    this.#logger.debug({ keys: Object.keys(data), resourceVersion: this.#resourceVersion }, "ConfigMap mirrored");
  }

  async #namespace(kc: KubeConfig): Promise<string> {
    if (this.#opts.namespace !== undefined) return this.#opts.namespace;
    const mounted = await readFile(SERVICE_ACCOUNT_NAMESPACE, "utf8").catch(() => undefined);
    if (mounted !== undefined && mounted.trim() !== "") return mounted.trim();
    return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  }
}

// The client's own timer ran out (a DOMException named TimeoutError).
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}
