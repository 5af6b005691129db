// Writes docs/errors.md, the reference of every error code, from the built packages (build them
// first). The codes and their HTTP statuses are those the catalogues declare when the packages'
// dist is loaded (`declaredCodes()`); the package, the message template and the description (the
// /** */ comment above the entry, when there is one) are read off the `defineError` calls in the
// packages' sources. `--check` fails when the committed file differs from what the packages give.
import { readdirSync, readFileSync } from "node:fs";
import ts from "typescript";
import { writeOrCheck } from "./generated-doc.mjs";

const root = new URL("..", import.meta.url);
const out = new URL("docs/errors.md", root);
const packages = readdirSync(new URL("packages/", root), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort((a, b) => (a === "core" ? -1 : b === "core" ? 1 : a.localeCompare(b)));

// Loading every package registers its codes in core's registry (packages that import @manageos/core); a package
// that bundles its own copy of core (the testkit) is read through the catalogues it exports.
const core = await import(new URL("packages/core/dist/index.js", root).href);
const declared = new Map();
for (const name of packages) {
  const module = await import(new URL(`packages/${name}/dist/index.js`, root).href);
  for (const value of Object.values(module)) {
    if (typeof value !== "object" || value === null) continue;
    for (const entry of Object.values(value)) {
      if (typeof entry === "function" && typeof entry.code === "string" && typeof entry.status === "number")
        declared.set(entry.code, entry.status);
    }
  }
}
for (const [code, status] of core.declaredCodes()) declared.set(code, status);

/** Every `.ts` file under a directory, test files left out. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => `${entry.parentPath ?? entry.path}/${entry.name}`)
    .sort();
}

/** The message an arrow function builds, with each interpolation shown as `<name>` (or `<...>` for an expression). */
function template(fn, file) {
  const shown = (expr) => `<${ts.isIdentifier(expr) ? expr.text : ts.isPropertyAccessExpression(expr) ? expr.getText(file) : "..."}>`;
  const render = (node) => {
    if (ts.isParenthesizedExpression(node)) return render(node.expression);
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
    if (ts.isTemplateExpression(node))
      return node.head.text + node.templateSpans.map((span) => shown(span.expression) + span.literal.text).join("");
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = render(node.left);
      const right = render(node.right);
      return left === undefined || right === undefined ? undefined : left + right;
    }
    return undefined;
  };
  return render(fn.body);
}

/** The /** *\/ comment right above a node, on one line. */
function comment(node, file) {
  const ranges = ts.getLeadingCommentRanges(file.text, node.getFullStart()) ?? [];
  const doc = ranges
    .map((range) => file.text.slice(range.pos, range.end))
    .filter((text) => text.startsWith("/**"))
    .at(-1);
  return doc
    ?.replace(/^\/\*\*|\*\/$/g, "")
    .split("\n")
    .map((line) => line.replace(/^\s*\* ?/, "").trim())
    .filter(Boolean)
    .join(" ");
}

/** code -> {pkg, template, description} for each defineError call in the sources. */
const found = new Map();
for (const pkg of packages) {
  for (const path of sources(new URL(`packages/${pkg}/src/`, root).pathname)) {
    const text = readFileSync(path, "utf8");
    if (!text.includes("defineError(")) continue;
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "defineError") {
        const [code, , message] = node.arguments;
        if (code !== undefined && ts.isStringLiteral(code)) {
          const entry = ts.isPropertyAssignment(node.parent) ? node.parent : node;
          const fn = message !== undefined && ts.isArrowFunction(message) ? message : undefined;
          found.set(code.text, { pkg, template: fn ? template(fn, file) : undefined, description: comment(entry, file) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
}

// Inside a code span only `|` needs escaping in a table; outside, `<` too (it would start HTML).
const code = (text) => `\`${text.replaceAll("`", "'").replaceAll("|", "\\|").replaceAll("\n", "\\n")}\``;
const prose = (text) => text.replaceAll("|", "\\|").replaceAll("<", "&lt;");
const rows = new Map(packages.map((pkg) => [pkg, []]));
for (const [name, status] of [...declared].sort(([a], [b]) => a.localeCompare(b))) {
  const info = found.get(name);
  if (info === undefined) {
    console.error(`${name} is declared by the built packages but no source declares it: rebuild (npx turbo run build)`);
    process.exit(1);
  }
  const message = info.template === undefined ? "(built from its arguments)" : code(info.template);
  rows.get(info.pkg).push(`| \`${name}\` | ${status} | ${message}${info.description ? ` ${prose(info.description)}` : ""} |`);
}

const text = [
  "# Error codes",
  "",
  "Generated by `node scripts/gen-error-docs.mjs` from the error catalogues of the built packages",
  "(every `defineError`); do not edit by hand. A code is stable: never renamed, never reused. The",
  "operator API answers an error with its status and `{code, message, details?}`; the CLI prints",
  "`error <code>: <message>`; logs carry the code in `code`. In a message, `<name>` stands for a value",
  "filled in when the error happens.",
  "",
  ...[...rows]
    .filter(([, list]) => list.length > 0)
    .flatMap(([pkg, list]) => [`## ${pkg}`, "", "| code | HTTP status | message |", "|---|---|---|", ...list, ""]),
].join("\n");

writeOrCheck(out, text, "node scripts/gen-error-docs.mjs (after npx turbo run build)");
