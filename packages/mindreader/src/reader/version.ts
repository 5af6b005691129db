import { MindreaderErrors } from "../errors.js";

/** The deep-mind dialects the reader understands. */
export type DeepMindVersion = "leap-13" | "spring-1" | "legacy-json";

// `<flavour> <major>` as nodeos prints them, and the dialect each is. EOSIO mandel, the fork between EOSIO 2.x and
// leap, printed leap 13's format under its own name.
const DIALECTS: ReadonlyMap<string, DeepMindVersion> = new Map([
  ["leap 13", "leap-13"],
  ["mandel 13", "leap-13"],
  ["spring 1", "spring-1"],
]);

/** Reads `DMLOG DEEP_MIND_VERSION <flavour> <major> <minor>`; an unknown one is MDR_ERR_DEEP_MIND_VERSION. */
export function parseVersionLine(text: string): DeepMindVersion {
  const [, , flavour, major] = text.trim().split(/\s+/);
  const dialect = DIALECTS.get(`${flavour} ${major}`);
  if (dialect === undefined) throw MindreaderErrors.deepMindVersion(text.trim());
  return dialect;
}
