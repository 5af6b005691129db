import { MindreaderErrors } from "../errors.js";

/** The deep-mind dialects the reader understands. */
export type DeepMindVersion = "leap-13" | "spring-1" | "legacy-json" | "unversioned";

/** Reads `DMLOG DEEP_MIND_VERSION <flavour> <major> <minor>`; an unknown one is MDR_ERR_DEEP_MIND_VERSION. */
export function parseVersionLine(text: string): DeepMindVersion {
  const [, , flavour, major] = text.trim().split(/\s+/);
  if (flavour === "leap" && major === "13") return "leap-13";
  if (flavour === "spring" && major === "1") return "spring-1";
  throw MindreaderErrors.deepMindVersion(text.trim());
}
