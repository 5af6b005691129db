import type { CreationKind } from "./ops.js";
import type { ActionTrace, CreationFlatNode } from "./proto-types.js";

/** One CREATION_OP line: its kind and the execution index printed with it. */
export interface CreationLine {
  readonly kind: CreationKind;
  readonly actionIndex: number;
}

/**
 * The creation tree of a transaction, flat in CREATION_OP order. A ROOT line prints the execution index of the
 * input action it starts; the others print their creator's, and a creator's children come in action-ordinal order.
 * Each node names the node that created it (-1 for an input action) and its own action's execution index.
 */
export function creationTree(lines: readonly CreationLine[], traces: readonly ActionTrace[]): CreationFlatNode[] {
  const byExecution = new Map<number, ActionTrace>();
  for (const t of traces) byExecution.set(t.executionIndex, t);
  const nodeOfOrdinal = new Map<number, number>();
  const childrenSeen = new Map<number, number>();
  return lines.map((line, index) => {
    const own = line.kind === "ROOT" ? byExecution.get(line.actionIndex) : childOf(line, byExecution, childrenSeen, traces);
    if (own !== undefined) nodeOfOrdinal.set(own.actionOrdinal, index);
    const creator = line.kind === "ROOT" ? -1 : (nodeOfOrdinal.get(byExecution.get(line.actionIndex)?.actionOrdinal ?? -1) ?? -1);
    return { creatorActionIndex: creator, executionActionIndex: own?.executionIndex ?? line.actionIndex };
  });
}

// The next child (in ordinal order) of the action that ran at the printed execution index.
function childOf(
  line: CreationLine,
  byExecution: ReadonlyMap<number, ActionTrace>,
  seen: Map<number, number>,
  traces: readonly ActionTrace[],
): ActionTrace | undefined {
  const creator = byExecution.get(line.actionIndex);
  if (creator === undefined) return undefined;
  const nth = seen.get(creator.actionOrdinal) ?? 0;
  seen.set(creator.actionOrdinal, nth + 1);
  let found = 0;
  for (const t of traces) {
    if (t.creatorActionOrdinal !== creator.actionOrdinal || t.actionOrdinal === creator.actionOrdinal) continue;
    if (found++ === nth) return t;
  }
  return undefined;
}
