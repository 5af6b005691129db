import { isValidSuffix } from "../files/naming.js";

/**
 * The writer suffix ending one-block file names, from the hostname: characters other than letters, digits, `_`
 * and `.` become `_` (`eos-mr-0` -> `eos_mr_0`), at most 32 of them; `mindreader` when nothing is left.
 */
export function writerSuffix(host: string): string {
  const suffix = host.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 32);
  return isValidSuffix(suffix) ? suffix : "mindreader";
}
