import { ledgerCommand } from "../cluster/ledger-command.js";
import { runNodeos } from "../nodeos/node.js";

// A stand-in for nodeos: same options, data dir, logs, HTTP API and exit codes (see the README).
const args = process.argv.slice(2);
const run = args[0] === "ledger" ? ledgerCommand(args.slice(1)) : runNodeos(args, process.env);
run.then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(254);
  },
);
