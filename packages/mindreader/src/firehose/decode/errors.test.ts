import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isManageosError } from "@manageos/core";
import { describe, expect, it } from "vitest";
import { FirehoseDecoder } from "./decoder.js";
import { splitDmlog } from "./test-support/split.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "..", "test", "fixtures");
const pieces = splitDmlog(readFileSync(join(FIXTURES, "leap-13.dmlog"), "utf8"));
// Block 3: setcode, setabi, db ops, 24 traces.
const block3 = pieces.find((p) => p.inBlock && p.lines[0] === "DMLOG START_BLOCK 3")!;

function withLine(kind: string, change: (line: string) => string): Buffer {
  let done = false;
  const lines = block3.lines.map((line) => {
    if (done || !line.startsWith(`DMLOG ${kind} `)) return line;
    done = true;
    return change(line);
  });
  expect(done).toBe(true);
  return Buffer.from(`${lines.join("\n")}\n`);
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isManageosError(error), String(error)).toBe(true);
    return (error as { code: string }).code;
  }
  throw new Error("decoded a block that should not decode");
}

const decode = (bytes: Buffer) => () => new FirehoseDecoder({ chain: "leap" }).decode(bytes);

describe("FirehoseDecoder refuses a block it cannot decode whole, with a stable code", () => {
  it.each([
    ["APPLIED_TRANSACTION", "cut by one hex digit (odd length)", (l: string) => l.slice(0, -1), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["APPLIED_TRANSACTION", "cut by a byte (the trace ends inside)", (l: string) => l.slice(0, -2), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["APPLIED_TRANSACTION", "with bytes after the trace", (l: string) => `${l}00`, "MDR_ERR_BLOCK_TRAILING_BYTES"],
    ["APPLIED_TRANSACTION", "not hex", (l: string) => `${l.slice(0, -4)}zz00`, "MDR_ERR_DECODE"],
    ["APPLIED_TRANSACTION", "without its payload", (l: string) => l.slice(0, l.lastIndexOf(" ")), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["ACCEPTED_BLOCK", "cut by a byte", (l: string) => l.slice(0, -2), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["ACCEPTED_BLOCK", "odd length", (l: string) => l.slice(0, -1), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["DB_OP", "with an odd-length row", (l: string) => l.slice(0, -1), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["DB_OP", "with a row that is not hex", (l: string) => `${l.slice(0, -2)}xy`, "MDR_ERR_DECODE"],
    ["TRX_OP", "with a transaction cut by a byte", (l: string) => l.slice(0, -2), "MDR_ERR_BLOCK_INCOMPLETE"],
    ["RLIMIT_OP", "with JSON cut short", (l: string) => l.slice(0, -5), "MDR_ERR_DECODE"],
    ["RAM_OP", "missing fields", (l: string) => l.split(" ").slice(0, 5).join(" "), "MDR_ERR_BLOCK_INCOMPLETE"],
  ])("%s %s: %s", (kind, _what, change, code) => {
    expect(codeOf(decode(withLine(kind, change)))).toBe(code);
  });

  it("a block without its accepted line is incomplete", () => {
    const bytes = Buffer.from(`${block3.lines.slice(0, -1).join("\n")}\n`);
    expect(codeOf(decode(bytes))).toBe("MDR_ERR_BLOCK_INCOMPLETE");
  });

  it("an accepted line whose id does not match its header is refused", () => {
    const bytes = withLine("ACCEPTED_BLOCK", (l) => {
      // The printed id follows the common fields; flip one of its digits by replacing the first id occurrence.
      const id = "000000033f35e12a8f3c21ef9cda1761752bf23de04ebd9a635044c75fda0b44";
      expect(l).toContain(id);
      return l.replace(id, `${id.slice(0, 60)}0000`);
    });
    expect(codeOf(decode(bytes))).toBe("MDR_ERR_BLOCK_ID_MISMATCH");
  });

  it("decodes the untouched block (the cases above fail for their change alone)", () => {
    expect(decode(block3.bytes)().number).toBe(3);
  });
});

describe("FirehoseDecoder on the simulator's blocks", () => {
  it("decodes the ACCEPTED_BLOCK_V2 and legacy lines the codec writes for nodeos-sim", async () => {
    const { buildSignedBlock, buildSpringBlockStateLegacy, formatAcceptedBlockLine, formatAcceptedBlockV2Line } = await import(
      "../../codec/index.js"
    );
    const first = buildSignedBlock({ previous: `00000009${"cd".repeat(28)}`, timeMs: Date.UTC(2024, 5, 1) });
    const legacy = formatAcceptedBlockLine(buildSpringBlockStateLegacy(first, 8), "spring");
    const decoder = new FirehoseDecoder();
    const a = decoder.decode(Buffer.from(`DMLOG START_BLOCK 10\n${legacy}\n`));
    const second = buildSignedBlock({ previous: a.id, timeMs: Date.UTC(2024, 5, 1) + 500 });
    const b = decoder.decode(Buffer.from(`DMLOG START_BLOCK 11\n${formatAcceptedBlockV2Line(second, 10)}\n`));
    expect([a.number, a.libNum, b.number, b.libNum, b.parentId]).toEqual([10, 8, 11, 10, a.id]);
  });
});

describe("FirehoseDecoder on EOSIO 2.0's JSON deep-mind", () => {
  it("refuses it by name: there is no packed block to make a Firehose block of", () => {
    const text = readFileSync(join(FIXTURES, "legacy-json-soft-fail.dmlog"), "utf8");
    const piece = splitDmlog(text).find((p) => p.inBlock)!;
    let message = "";
    const code = codeOf(() => {
      try {
        new FirehoseDecoder().decode(piece.bytes);
      } catch (error) {
        message = (error as Error).message;
        throw error;
      }
    });
    expect(code).toBe("MDR_ERR_DECODE");
    expect(message).toContain("JSON deep-mind");
  });
});
