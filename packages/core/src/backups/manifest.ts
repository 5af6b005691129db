import { z } from "zod";
import { BackupErrors } from "./errors.js";
import { COMPRESSIONS } from "./layout.js";

/** The manifest format this version writes. */
export const MANIFEST_FORMAT = "manageos-backup/2";
/** The first format: every stored chunk is a whole grid cell of its file, no packs. Still read and restored. */
export const MANIFEST_FORMAT_V1 = "manageos-backup/1";
/** Every format this version reads; a manifest of another is refused with BKP_ERR_MANIFEST_VERSION. */
export const MANIFEST_FORMATS = [MANIFEST_FORMAT_V1, MANIFEST_FORMAT] as const;

const relativePath = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith("/") && !p.split("/").some((s) => s === "" || s === "." || s === ".."),
    "must be a relative path inside the data dir",
  );
const hash = z.string().regex(/^[0-9a-f]{64}$/);

const fileEntry = z.object({
  path: relativePath,
  size: z.number().int().nonnegative(),
  mode: z.number().int().nonnegative(),
  mtimeMs: z.number().nonnegative(),
  /** One sha256 per chunk, null for an all-zero chunk (a hole on restore). */
  chunks: z.array(hash.nullable()),
  /**
   * Format 2: chunks stored without their zero stretches, by chunk index: the [start, end) stretches of the chunk
   * (from its start) that hold data, in order; the stored object is those stretches back to back, the rest is zeros.
   */
  sparse: z
    .record(z.string().regex(/^(0|[1-9]\d*)$/), z.array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()])).min(1))
    .optional(),
  /** Format 2: the file's one chunk is a pack shared with other small files; the file's bytes start here in it. */
  packOffset: z.number().int().nonnegative().optional(),
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
    format: z.enum(MANIFEST_FORMATS),
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
        ctx.addIssue({
          code: "custom",
          path: ["files", i, "chunks"],
          message: `${file.path}: ${file.chunks.length} chunks, expected ${expected}`,
        });
      }
      const problem = layoutProblem(m.format, m.chunkSize, file);
      if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["files", i], message: `${file.path}: ${problem}` });
    }
    const safety = m.finalizers?.safetyFile;
    if (safety !== undefined && safety !== null && safety.chunks.length !== Math.ceil(safety.size / m.chunkSize)) {
      ctx.addIssue({
        code: "custom",
        path: ["finalizers", "safetyFile", "chunks"],
        message: `${safety.path}: chunk count does not match its size`,
      });
    }
  });

type FileEntry = z.infer<typeof fileEntry>;

// What is wrong with a file's sparse stretches or pack offset, undefined when nothing (format 1 has neither).
function layoutProblem(format: string, chunkSize: number, file: FileEntry): string | undefined {
  if (format === MANIFEST_FORMAT_V1 && (file.sparse !== undefined || file.packOffset !== undefined))
    return `sparse or packOffset in a ${format} manifest`;
  if (file.packOffset !== undefined && (file.chunks.length !== 1 || file.chunks[0] === null || file.sparse !== undefined)) {
    return "a packed file has exactly one stored chunk and no sparse stretches";
  }
  for (const [key, runs] of Object.entries(file.sparse ?? {})) {
    const index = Number(key);
    if (index >= file.chunks.length || file.chunks[index] === null) return `sparse stretches for chunk ${index}, which is not stored`;
    const length = Math.min(chunkSize, file.size - index * chunkSize);
    let end = 0;
    for (const [start, stop] of runs) {
      if (start < end || stop <= start || stop > length)
        return `chunk ${index}: stretch [${start}, ${stop}) is out of order or outside the chunk`;
      end = stop;
    }
  }
  return undefined;
}

/** A validated backup manifest. */
export type Manifest = z.infer<typeof manifestSchema>;
/** One file of a manifest. */
export type ManifestFile = Manifest["files"][number];
/** What a backup recorded of the node's finalizer safety data. */
export type FinalizersRecord = NonNullable<Manifest["finalizers"]>;

/**
 * Parses manifest bytes from the store; BKP_ERR_MANIFEST_VERSION for a format this version does not know (a newer
 * manageos wrote it), BKP_ERR_MANIFEST_INVALID for anything else.
 */
export function parseManifest(key: string, bytes: Buffer): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw BackupErrors.manifestInvalid(key, `not JSON: ${(error as Error).message}`, { cause: error });
  }
  const format = typeof json === "object" && json !== null ? (json as { format?: unknown }).format : undefined;
  if (typeof format === "string" && !(MANIFEST_FORMATS as readonly string[]).includes(format)) {
    throw BackupErrors.manifestVersion(key, format, MANIFEST_FORMATS.join(", "));
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`);
    throw BackupErrors.manifestInvalid(key, problems.join("; "));
  }
  return parsed.data;
}
