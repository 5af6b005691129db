import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { appBin, startManageos, tempDir } from "@manageos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("the daemon's own files", () => {
  it("keeps its state dir 0700 and endpoints.json and nodeos' config.ini 0600", async () => {
    const m = await startManageos();
    try {
      expect(await mode(join(m.dir, "state"))).toBe(0o700);
      expect(await mode(join(m.dir, "state", "endpoints.json"))).toBe(0o600);
      expect(await mode(join(m.dir, "config", "config.ini"))).toBe(0o600);
    } finally {
      await m.stop();
    }
  });
});

describe("an address the daemon cannot listen on", () => {
  let busy: Server;
  let address: string;
  beforeAll(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    address = `127.0.0.1:${(busy.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  });

  // Runs the daemon on temp dirs with `set` applied; resolves with its exit code and output.
  async function daemon(...set: string[]): Promise<{ code: number; output: string }> {
    const dir = await tempDir("manageos-busy-");
    const base = [
      `stateDir=${join(dir, "state")}`,
      `node.dataDir=${join(dir, "data")}`,
      `node.configDir=${join(dir, "config")}`,
      `storage.url=file://${join(dir, "storage")}`,
      "api.listen=127.0.0.1:0",
      "proxy.listen=127.0.0.1:0",
      "node.binary=/bin/true",
    ];
    const args = [appBin("eos"), "run", ...[...base, ...set].flatMap((s) => ["--set", s])];
    try {
      const { stdout, stderr } = await run(process.execPath, args, { env: { PATH: process.env.PATH ?? "" }, timeout: 30_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  }

  for (const setting of ["api.listen", "proxy.listen"]) {
    it(`refuses a busy ${setting} with CORE_ERR_LISTEN naming the setting and the address, exit 78, no stack`, async () => {
      const res = await daemon(`${setting}=${address}`);
      expect(res.code, res.output).toBe(78);
      expect(res.output).toContain("CORE_ERR_LISTEN");
      expect(res.output).toContain(`cannot listen on ${address} (${setting}): the address is in use`);
      expect(res.output).not.toMatch(/^\s+at /m);
      expect(res.output).not.toContain("Unhandled");
    });
  }

  it("refuses a busy bp.signingListen the same way", async () => {
    const res = await daemon("bp.enabled=true", "bp.producerName=eosproducer1", `bp.signingListen=${address}`);
    expect(res.code, res.output).toBe(78);
    expect(res.output).toContain(`cannot listen on ${address} (bp.signingListen): the address is in use`);
    expect(res.output).not.toMatch(/^\s+at /m);
  });
});
