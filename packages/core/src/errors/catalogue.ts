import { ManageosError, type ManageosErrorOptions } from "./manageos-error.js";

/** One catalogue entry: a code, an HTTP status, and a message built from arguments. */
export interface ErrorDefinition<A extends unknown[]> {
  readonly code: string;
  readonly status: number;
  (...args: [...A, ManageosErrorOptions?]): ManageosError;
}

const registered = new Map<string, number>();

/** Declares an error code once; a code declared twice is a bug caught at import time. */
export function defineError<A extends unknown[]>(code: string, status: number, message: (...args: A) => string): ErrorDefinition<A> {
  if (registered.has(code)) throw new Error(`error code ${code} is declared twice`);
  registered.set(code, status);
  const make = (...args: [...A, ManageosErrorOptions?]): ManageosError => {
    const last = args[message.length];
    const options = isOptions(last) ? last : {};
    return new ManageosError(code, message(...(args.slice(0, message.length) as A)), options);
  };
  return Object.assign(make, { code, status });
}

function isOptions(value: unknown): value is ManageosErrorOptions {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The HTTP status for a code, 500 for codes no catalogue declared. */
export function statusOf(code: string): number {
  return registered.get(code) ?? 500;
}

/** Every declared code with its status, for docs and tests. */
export function declaredCodes(): ReadonlyMap<string, number> {
  return registered;
}
