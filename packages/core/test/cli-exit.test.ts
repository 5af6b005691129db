import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "support", "cli-output-child.mjs");
const BYTES = 4 * 1024 * 1024;

function start() {
  return spawn(process.execPath, [CHILD, String(BYTES)], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("the app binary's exit", () => {
  it("hands all of a command's output to a slow reader before the process exits", async () => {
    const child = start();
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let got = 0;
    // Reads nothing until the command is done writing (its pipe full), then one chunk per timer turn.
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdout.on("data", (chunk: Buffer) => {
      got += chunk.length;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    child.stdout.resume();
    const ended = new Promise((resolve) => child.stdout.on("end", resolve));
    expect(await exited).toBe(0);
    // The pipe ends once its last bytes are read; a process that exited with output unwritten ends it short.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    expect(got).toBe(BYTES);
  });

  it("still exits when the reader goes away before the output is out", async () => {
    const child = start();
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.stdout.once("data", () => child.stdout.destroy());
    // Exits rather than waiting forever on output nobody will read (the test's timeout says otherwise).
    await exited;
    expect(child.exitCode ?? child.signalCode).not.toBeNull();
  });
});
