import { Serializer } from "@wharfkit/antelope";
import { type TransactionTraceStruct as Trace, TransactionTraceStruct } from "./trace-structs.js";

/** One transaction as the lines say it: its trace (read with wharfkit) and the operations printed before it. */
export interface LinesTransaction {
  readonly trace: Trace;
  readonly dbOps: string[][];
  readonly ramOps: string[][];
  readonly tableOps: string[][];
  readonly creationOps: string[][];
}

/** What a block's lines hold, read apart from the decoder: fields split on spaces, traces through wharfkit. */
export interface LinesBlock {
  readonly transactions: LinesTransaction[];
  readonly accepted: string;
}

/** Reads a block's lines on their own. */
export function parseLines(lines: readonly string[]): LinesBlock {
  const transactions: LinesTransaction[] = [];
  let ops = empty();
  let accepted = "";
  for (const line of lines) {
    const fields = line.split(" ");
    const kind = fields[1];
    if (kind === "DB_OP") ops.dbOps.push(fields.slice(2));
    else if (kind === "RAM_OP") ops.ramOps.push(fields.slice(2));
    else if (kind === "TBL_OP") ops.tableOps.push(fields.slice(2));
    else if (kind === "CREATION_OP") ops.creationOps.push(fields.slice(2));
    else if (kind === "APPLIED_TRANSACTION") {
      const trace = Serializer.decode({ data: fields[3]!, type: TransactionTraceStruct });
      transactions.push({ trace, ...ops });
      ops = empty();
    } else if (kind?.startsWith("ACCEPTED_BLOCK") === true) accepted = line;
  }
  return { transactions, accepted };
}

function empty(): Omit<LinesTransaction, "trace"> {
  return { dbOps: [], ramOps: [], tableOps: [], creationOps: [] };
}
