import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { quietLogger } from "../../test/helpers.js";
import { fetchBlocksignerKeys, keosdSignatureProvider } from "./blocksigner.js";

// A port nobody listens on: bind port 0, note it, close.
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("blocksigner", () => {
  it("gives up after the bounded retries with a coded error", async () => {
    const url = `http://127.0.0.1:${await deadPort()}`;
    const started = Date.now();
    await expect(fetchBlocksignerKeys({ url, attempts: 3, retryBase: 20 }, { logger: quietLogger() })).rejects.toMatchObject({
      code: "SUP_ERR_BLOCKSIGNER",
      message: expect.stringContaining("after 3 attempts"),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it("builds the KEOSD signature-provider value nodeos expects", () => {
    expect(keosdSignatureProvider("EOS5abc", "http://10.0.0.1:6666/")).toBe("EOS5abc=KEOSD:http://10.0.0.1:6666/v1/wallet/sign_digest");
  });
});
