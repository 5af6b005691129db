// The app entry point of the built package with one command that prints ARGV[2] bytes (lines of 1 KiB) to stdout,
// for what reaches a slow reader of the binary's output before it exits.
import { runApp } from "../../dist/cli.js";

const bytes = Number(process.argv[2]);
const variant = { name: "eos", bin: "manageos-test", description: "test", defaults: {} };
const print = (program, _variant, exit, io) => {
  program.command("print").action(() => {
    const line = `${"x".repeat(1023)}\n`;
    for (let n = 0; n < bytes; n += line.length) io.out(line);
    exit(0);
  });
};
await runApp(
  variant,
  async () => {
    throw new Error("no daemon here");
  },
  { commands: [print], argv: ["print"] },
);
