import { z } from "zod";
import { BackupErrors } from "./errors.js";
import { COMPRESSIONS } from "./layout.js";

/** The manifest format this version writes and reads. */
export const MANIFEST_FORMAT = "manageos-backup/1";

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split("/").some((s) => s === "" || s === "." || s === ".."), "must be a relative path inside the data dir");
const hash = z.string().regex(/^[0-9a-f]{64}$/);

const fileEntry = z.object({
  path: relativePath,
  size: z.number().int().nonnegative(),
  mode: z.number().int().nonnegative(),
  mtimeMs: z.number().nonnegative(),
  /** One sha256 per chunk, null for an all-zero chunk (a hole on restore). */
  chunks: z.array(hash.nullable()),
});

/**
 * The backed-up node's finalizer safety data (Spring `safety.dat`), recorded for a person to look at and never restored:
 * a finalizer must vote from its own history only. Outside `files`, so no restore (of any version) writes it.
 */
const finalizersRecord = z.object({
  /** The node's finalizers dir, absolute. */
  dir: z.string().min(1),
  restore: z.literal(false),
  /** `safety.dat` as it was (path relative to `dir`), null when the node had none. */
  safetyFile: fileEntry.nullable(),
});

/** The JSON written last to `backups/<chain_id>/<name>.json`; read back as untrusted input. */
export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    name: z.string().min(1),
    chainId: z.string().min(1),
    head: z.object({ num: z.number().int().nonnegative(), id: z.string() }),
    serverVersion: z.string(),
    tag: z.string(),
    toolVersion: z.string(),
    createdAt: z.iso.datetime(),
    durationSeconds: z.number().nonnegative(),
    chunkSize: z.number().int().positive(),
    compression: z.enum(COMPRESSIONS),
    dirs: z.array(z.object({ path: relativePath, mode: z.number().int().nonnegative() })),
    files: z.array(fileEntry),
    /** Absent in backups of chains without finalizers, and in backups made before it was recorded. */
    finalizers: finalizersRecord.optional(),
    totals: z.object({
      files: z.number().int().nonnegative(),
      /** Sum of file sizes. */
      bytes: z.number().int().nonnegative(),
      /** Bytes in non-zero chunks. */
      dataBytes: z.number().int().nonnegative(),
      chunks: z.number().int().nonnegative(),
      /** Chunks this backup uploaded (the others were in the store already). */
      newChunks: z.number().int().nonnegative(),
      /** Bytes this backup uploaded, as stored (compressed when compression is on). */
      newBytes: z.number().int().nonnegative(),
    }),
  })
  .superRefine((m, ctx) => {
    for (const [i, file] of m.files.entries()) {
      const expected = Math.ceil(file.size / m.chunkSize);
      if (file.chunks.length !== expected) {
        ctx.addIssue({ code: "custom", path: ["files", i, "chunks"], message: `${file.path}: ${file.chunks.length} chunks, expected ${expected}` });
      }
    }
    const safety = m.finalizers?.safetyFile;
    if (safety !== undefined && safety !== null && safety.chunks.length !== Math.ceil(safety.size / m.chunkSize)) {
      ctx.addIssue({ code: "custom", path: ["finalizers", "safetyFile", "chunks"], message: `${safety.path}: chunk count does not match its size` });
    }
  });

/** A validated backup manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One file of a manifest. */
export type ManifestFile = Manifest["files"][number];
/** What a backup recorded of the node's finalizer safety data. */
export type FinalizersRecord = NonNullable<Manifest["finalizers"]>;

/** Parses manifest bytes from the store; BKP_ERR_MANIFEST_INVALID for anything else. */
export function parseManifest(key: string, bytes: Buffer): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw BackupErrors.manifestInvalid(key, `not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`);
    throw BackupErrors.manifestInvalid(key, problems.join("; "));
  }
  return parsed.data;
}
