/** A compiled deny list: `/v1/producer/*` denies that prefix, other entries deny one exact path. */
export class DenyList {
  readonly #prefixes: string[] = [];
  readonly #exact = new Set<string>();

  constructor(patterns: readonly string[]) {
    for (const pattern of patterns) {
      const p = pattern.toLowerCase();
      if (p.endsWith("*")) this.#prefixes.push(p.slice(0, -1));
      else this.#exact.add(p.replace(/\/+$/, "") || "/");
    }
  }

  /** True when the request URL is denied, however its path is spelled (dot segments, `//`, percent-encoding, case). */
  denies(url: string): boolean {
    return spellings(url).some((path) => this.#deniesSpelling(path));
  }

  /** True when a path of plain segments only (letters, digits, `_`, `-`, `~`), without a query, is denied. */
  deniesPlainPath(path: string): boolean {
    return this.#deniesSpelling(path.toLowerCase());
  }

  #deniesSpelling(path: string): boolean {
    if (this.#exact.has(path.replace(/\/+$/, "") || "/")) return true;
    return this.#prefixes.some((prefix) => path.startsWith(prefix) || `${path}/` === prefix);
  }
}

// Segments of letters, digits, `_`, `-` and `~` only: nothing to decode or resolve, one spelling.
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-]+)*\/?$/;

// The path as written and as an upstream might understand it after decoding and normalising.
function spellings(url: string): string[] {
  const raw = url.split("?")[0] ?? "";
  if (PLAIN_PATH.test(raw)) return [raw.toLowerCase()];
  const out = new Set<string>([normalise(raw)]);
  let decoded = raw;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
    out.add(normalise(decoded));
  }
  return [...out];
}

function normalise(path: string): string {
  const collapsed = path.replace(/\\/g, "/").replace(/\/{2,}/g, "/");
  let resolved: string;
  try {
    resolved = new URL(collapsed, "http://upstream").pathname;
  } catch {
    resolved = collapsed;
  }
  return resolved.replace(/\/{2,}/g, "/").toLowerCase();
}
