import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Path of a deep-mind fixture copied from shared/fixtures/deep-mind. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** The lines of a fixture, without the trailing empty one. */
export function fixtureLines(name: string): string[] {
  return readFileSync(fixturePath(name), "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

/** The space-separated fields of every line whose second field is `kind`. */
export function linesOf(name: string, kind: string): string[][] {
  return fixtureLines(name)
    .map((line) => line.split(" "))
    .filter((fields) => fields[1] === kind);
}
