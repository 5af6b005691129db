import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type DescMessage, createFileRegistry, fromBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, anyUnpack } from "@bufbuild/protobuf/wkt";
import { PROTO_FILES, protoDir } from "../schema.js";

/**
 * A second protobuf implementation for the tests: buf (Go) compiles the .proto files, @bufbuild/protobuf decodes
 * with them. Nothing of the encoder's protobufjs is shared.
 */
export interface IndependentSchema {
  readonly bstreamBlock: DescMessage;
  readonly antelopeBlock: DescMessage;
  /** The decoded sf.bstream.v1.Block and its unpacked payload, as bufbuild's JSON (all fields, snake_case). */
  decode(bytes: Uint8Array): { block: Record<string, unknown>; payload: Record<string, unknown> };
  /** bufbuild's protobuf JSON mapping of an encoded sf.bstream.v1.Block. */
  json(bytes: Uint8Array): unknown;
}

export function independentSchema(): IndependentSchema {
  const require = createRequire(import.meta.url);
  const buf = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");
  const image = execFileSync(buf, [
    "build",
    protoDir(),
    "--as-file-descriptor-set",
    "-o",
    "-",
    ...PROTO_FILES.flatMap((f) => ["--path", join(protoDir(), f)]),
  ]);
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
  const bstreamBlock = registry.getMessage("sf.bstream.v1.Block")!;
  const antelopeBlock = registry.getMessage("sf.antelope.type.v1.Block")!;
  return {
    bstreamBlock,
    antelopeBlock,
    decode(bytes) {
      const block = fromBinary(bstreamBlock, bytes);
      const any = (block as unknown as { payload: Parameters<typeof anyUnpack>[0] }).payload;
      const payload = anyUnpack(any, registry);
      if (payload === undefined) throw new Error(`payload type ${any.typeUrl} not in the schema`);
      const full = { alwaysEmitImplicit: true, useProtoFieldName: true, registry } as const;
      return {
        block: toJson(bstreamBlock, block, full) as Record<string, unknown>,
        payload: toJson(antelopeBlock, payload, full) as Record<string, unknown>,
      };
    },
    json(bytes) {
      return toJson(bstreamBlock, fromBinary(bstreamBlock, bytes), { registry });
    },
  };
}
