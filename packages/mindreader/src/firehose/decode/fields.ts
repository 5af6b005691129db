import { MindreaderErrors } from "../../errors.js";

/**
 * Splits a deep-mind line into its first `count` space-separated fields and the rest (JSON payloads may hold
 * spaces). Fewer fields than `count` is a cut line: MDR_ERR_BLOCK_INCOMPLETE.
 */
export function splitFields(line: string, count: number, what: string): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = line.indexOf(" ", at);
    if (end < 0) {
      if (i === count - 1 && at < line.length) {
        fields.push(line.slice(at));
        return { fields, rest: "" };
      }
      throw MindreaderErrors.blockIncomplete(what, `${count} fields expected, ${i} found`);
    }
    fields.push(line.slice(at, end));
    at = end + 1;
  }
  return { fields, rest: line.slice(at) };
}

/** A decimal field (action index, permission id): anything else is MDR_ERR_DECODE. */
export function intField(text: string, what: string): number {
  if (!/^-?\d+$/.test(text)) throw MindreaderErrors.decode(what, `"${text}" is not a number`);
  return Number(text);
}

/** A 64-bit decimal field, exact: a number when below 2^53, else the text itself. */
export function int64Field(text: string, what: string): number | string {
  if (!/^-?\d+$/.test(text)) throw MindreaderErrors.decode(what, `"${text}" is not a number`);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** The JSON payload of a line: not JSON is MDR_ERR_DECODE. */
export function jsonField(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw MindreaderErrors.decode(what, `its JSON payload does not parse (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw MindreaderErrors.decode(what, "its JSON payload is not an object");
  }
  return value as Record<string, unknown>;
}
