// Writes docs/configuration-reference.md from the configuration schema of packages/core
// (build it first). Types, defaults and constraints come from the schema's JSON Schema; the
// descriptions from the /** */ comments above each key in packages/core/src/config/schema.ts.
// `--check` fails when the committed file differs from what the schema gives.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { writeOrCheck } from "./generated-doc.mjs";

const root = new URL("..", import.meta.url);
const { configSchema } = await import(new URL("packages/core/dist/index.js", root).href);
const out = new URL("docs/configuration-reference.md", root);

// Durations and sizes are transforms (string -> number): document what a person writes.
const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });

/** The `/** ... *\/` comment above each key, by dotted path, read off the schema's source. */
function comments() {
  const source = readFileSync(new URL("packages/core/src/config/schema.ts", root), "utf8").split("\n");
  const found = new Map();
  const stack = [];
  let pending;
  for (const line of source) {
    const doc = /^\s*\/\*\*\s*(.*?)\s*\*\/\s*$/.exec(line);
    if (doc) {
      pending = doc[1];
      continue;
    }
    const key = /^(\s*)([A-Za-z][A-Za-z0-9]*): \S/.exec(line);
    if (!key) continue;
    const indent = key[1].length;
    while (stack.length > 0 && stack.at(-1).indent >= indent) stack.pop();
    stack.push({ indent, name: key[2] });
    if (pending) found.set(stack.map((entry) => entry.name).join("."), pending);
    pending = undefined;
  }
  return found;
}

/** A duration (number or string) or a size (non-negative integer or string), else undefined. */
function unitOf(node) {
  if (Array.isArray(node.type) && node.type.includes("number") && node.type.includes("string")) return "duration";
  const types = (node.anyOf ?? []).map((branch) => branch.type);
  if (types.includes("integer") && types.includes("string")) return "size";
  if (types.includes("number") && types.includes("string")) return "duration";
  return undefined;
}

/** A short type of a JSON Schema node. */
function typeOf(node) {
  const unit = unitOf(node);
  if (unit) return unit;
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(" \\| ");
  if (node.anyOf) return node.anyOf.map(typeOf).join(" \\| ");
  if (node.type === "array") return `array of ${node.items ? typeOf(node.items) : "any"}`;
  if (node.type === "object" && node.additionalProperties && !node.properties) return `map of ${typeOf(node.additionalProperties)}`;
  if (node.type === "integer") return "integer";
  return node.type ?? "any";
}

/** Constraints worth telling: bounds, patterns, lengths. */
function constraints(node) {
  const parts = [];
  if (node.minimum !== undefined) parts.push(`>= ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) parts.push(`<= ${node.maximum}`);
  if (node.minLength !== undefined && node.minLength > 1) parts.push(`at least ${node.minLength} characters`);
  if (node.pattern) parts.push(`matches \`${node.pattern.replaceAll("|", "\\|")}\``);
  if (node.minItems !== undefined) parts.push(`at least ${node.minItems} item(s)`);
  return parts.join(", ");
}

/** The environment variable of a dotted path: MANAGEOS_ + upper snake, `__` between levels. */
function envName(path) {
  return `MANAGEOS_${path
    .split(".")
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase())
    .join("__")}`;
}

const docs = comments();
// Defaults as the schema applies them (transformed defaults such as durations are missing from the JSON Schema).
const defaults = configSchema.parse({});
const defaultOf = (path) => path.split(".").reduce((value, key) => (value === undefined ? undefined : value[key]), defaults);
const sections = [];
const top = [];
for (const [key, node] of Object.entries(schema.properties)) {
  if (node.type === "object" && node.properties) {
    const rows = Object.entries(node.properties).map(([name, child]) => row(`${key}.${name}`, child, node.required ?? []));
    sections.push({ key, doc: docs.get(key), rows });
  } else {
    top.push(row(key, node, schema.required ?? []));
  }
}

function row(path, node, required) {
  const name = path.split(".").at(-1);
  const fallback = node.description ?? "";
  const fallbackDefault = defaultOf(path);
  const unit = unitOf(node);
  const shown = node.default ?? fallbackDefault;
  let value = shown === undefined ? (required.includes(name) ? "(required)" : "(unset)") : `\`${JSON.stringify(shown)}\``;
  if (shown !== undefined && unit === "duration") value += " ms";
  if (shown !== undefined && unit === "size") value += " bytes";
  const description = docs.get(path) ?? fallback;
  const limits = constraints(node);
  const doc = description && limits ? `${description}${description.endsWith(".") ? "" : ";"} ${limits}` : description || limits;
  return `| \`${path}\` | ${typeOf(node)} | ${value} | ${doc} | \`${envName(path)}\` |`;
}

const header = "| key | type | default | description | environment |\n|---|---|---|---|---|";
const text = [
  "# Configuration reference",
  "",
  "Generated by `node scripts/gen-config-docs.mjs` from the configuration schema",
  "(`packages/core/src/config/schema.ts`); do not edit by hand. For how the sources combine",
  "(variant defaults, then the YAML file, then `MANAGEOS_*` variables, then flags) see",
  "[configuration.md](configuration.md) and the [operator guide](operator-guide.md).",
  "",
  "Durations are written `500ms`, `5s`, `2m`, `1h`, `7d` or as a number of milliseconds; sizes as",
  "`16MiB`, `64 KiB`, `1GiB` or a number of bytes. Defaults shown are those of the schema; each app",
  "sets its own `app.*` and `mindreader.enabled`.",
  "",
  "## Top level",
  "",
  header,
  ...top,
  "",
  ...sections.flatMap((section) => [`## ${section.key}`, "", ...(section.doc ? [section.doc, ""] : []), header, ...section.rows, ""]),
].join("\n");

writeOrCheck(out, text, "node scripts/gen-config-docs.mjs");
