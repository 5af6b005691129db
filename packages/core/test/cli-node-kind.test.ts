import { describe, expect, it } from "vitest";
import { type AppVariant, EXIT, runCli } from "../src/index.js";

const VARIANT: AppVariant = { name: "eos", bin: "manageos-eos", description: "test", defaults: {}, nodeKinds: ["nodeos"] };

// Runs `run` with a daemon that only records that it was started.
async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string; started: number }> {
  let err = "";
  let started = 0;
  const code = await runCli(VARIANT, ["run", ...argv], {
    daemon: async () => {
      started++;
      return EXIT.ok;
    },
    io: { out: () => undefined, err: (t) => (err += t), env },
  });
  return { code, err, started };
}

describe("node kinds an app does not run", () => {
  it("refuses node.kind geth in a nodeos app as invalid configuration, exit 78, without starting anything", async () => {
    for (const refused of [
      await run(["--set", "node.kind=geth"]),
      await run([], { MANAGEOS_NODE__KIND: "geth" }),
      await run(["--print-config", "--set", "node.kind=geth"]),
    ]) {
      expect(refused.code).toBe(78);
      expect(refused.started).toBe(0);
      expect(refused.err).toContain("invalid configuration");
      expect(refused.err).toContain("node.kind: geth is not run by manageos-eos, which runs nodeos only");
    }
  });

  it("runs the kind it runs", async () => {
    expect(await run(["--set", "node.kind=nodeos"])).toMatchObject({ code: 0, started: 1, err: "" });
  });
});
