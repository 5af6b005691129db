import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/**
 * The Firehose schema, loaded from the package's .proto files with protobufjs. protobufjs because it builds a
 * specialised encoder per message at load time (the fastest protobuf encoding in JavaScript, which the mindreader's
 * block rate needs) straight from the .proto text, with no generated code to keep in step with the schema;
 * it is also already in the dependency tree.
 */
export interface FirehoseSchema {
  readonly bstreamBlock: protobuf.Type;
  readonly antelopeBlock: protobuf.Type;
}

/** Type URL of the Any payload of every Antelope Firehose block. */
export const ANTELOPE_BLOCK_TYPE_URL = "type.googleapis.com/sf.antelope.type.v1.Block";

const BSTREAM_PROTO = join("sf", "bstream", "v1", "bstream.proto");
const ANTELOPE_PROTO = join("sf", "antelope", "type", "v1", "type.proto");

let loaded: FirehoseSchema | undefined;

/** The package's proto/ directory: found above this module, from the sources as from the build. */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "proto");
    if (existsSync(join(candidate, BSTREAM_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no proto/${BSTREAM_PROTO} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The .proto files of the schema, relative to protoDir(). */
export const PROTO_FILES: readonly string[] = [BSTREAM_PROTO, ANTELOPE_PROTO];

/** Loads the schema once per thread. */
export function firehoseSchema(): FirehoseSchema {
  if (loaded === undefined) {
    registerJsonWrappers();
    const dir = protoDir();
    const root = new protobuf.Root();
    root.loadSync(
      PROTO_FILES.map((file) => join(dir, file)),
      { keepCase: false },
    );
    loaded = {
      bstreamBlock: root.lookupType("sf.bstream.v1.Block"),
      antelopeBlock: root.lookupType("sf.antelope.type.v1.Block"),
    };
  }
  return loaded;
}

// protobufjs writes a google.protobuf.Timestamp to JSON as an object; the protobuf JSON mapping is RFC 3339 text
// with 0, 3, 6 or 9 fraction digits. Wrappers are protobufjs' hook for well-known types, read when a type is set up
// (its own wrapper for Any already writes the payload's JSON with "@type").
function registerJsonWrappers(): void {
  const wrappers = protobuf.wrappers as Record<string, protobuf.IWrapper>;
  wrappers[".google.protobuf.Timestamp"] = {
    fromObject(this: protobuf.Type, object: { [k: string]: unknown }) {
      return this.fromObject(object);
    },
    toObject(this: protobuf.Type, message: protobuf.Message, options?: protobuf.IConversionOptions) {
      const plain = this.toObject(message, options) as { seconds?: unknown; nanos?: unknown };
      if (options?.json !== true) return plain;
      // The wrapper's declared type wants an object; the JSON mapping of a Timestamp is a string.
      return rfc3339(Number(plain.seconds ?? 0), Number(plain.nanos ?? 0)) as unknown as { [k: string]: unknown };
    },
  };
}

/** A Timestamp as the protobuf JSON mapping writes it. */
export function rfc3339(seconds: number, nanos: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${base}Z`;
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  return `${base}.${String(nanos).padStart(9, "0").slice(0, digits)}Z`;
}
