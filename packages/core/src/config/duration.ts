import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `500ms`, `5s`, `2m`, `1h`, `7d` (or a number of milliseconds); undefined when malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** A zod schema for a duration, giving milliseconds. */
export function duration() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration such as 500ms, 5s, 2m, 1h or a number of milliseconds, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const SIZE_UNITS: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A zod schema for a byte size: a number or `64MiB`, `16 KiB`, `1GiB`. */
export function byteSize() {
  return z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
    if (typeof value === "number") return value;
    const match = /^(\d+)\s*(b|kib|mib|gib)$/i.exec(value.trim());
    if (!match) {
      ctx.addIssue({ code: "custom", message: `expected a size such as 16MiB or a number of bytes, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return Number(match[1]) * (SIZE_UNITS[(match[2] as string).toLowerCase()] as number);
  });
}
