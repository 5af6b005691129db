// Apart from sources.ts so that the CLI's flag table uses it without loading the YAML parser.

/** A partial configuration tree from one source. */
export type ConfigTree = Record<string, unknown>;

/** Sets `tree[a][b][c] = value`, creating mappings on the way. */
export function setPath(tree: ConfigTree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as ConfigTree;
  }
}
