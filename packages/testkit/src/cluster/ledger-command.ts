import { readLedger } from "./ledger.js";

/** `nodeos-sim ledger <cluster-dir> [--json]`: prints produced, missed and double counts. */
export async function ledgerCommand(args: readonly string[]): Promise<number> {
  const dir = args.find((a) => !a.startsWith("--"));
  if (dir === undefined) {
    process.stderr.write("usage: nodeos-sim ledger <cluster-dir> [--json]\n");
    return 1;
  }
  const summary = await readLedger(dir);
  if (args.includes("--json")) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  }
  const lines = [
    `produced: ${summary.produced}`,
    `missed: ${summary.missed}`,
    `double: ${summary.double}`,
    ...Object.entries(summary.byInstance).map(([name, n]) => `instance ${name}: ${n}`),
  ];
  if (summary.doubleSlots.length > 0) lines.push(`double slots: ${summary.doubleSlots.join(", ")}`);
  if (summary.votes > 0) lines.push(`votes: ${summary.votes}`, `double votes: ${summary.doubleVotes.length}`);
  if (summary.doubleVotes.length > 0) lines.push(`double vote blocks: ${summary.doubleVotes.map((v) => v.blockNum).join(", ")}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
