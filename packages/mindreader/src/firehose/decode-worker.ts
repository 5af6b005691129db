import { parentPort, workerData } from "node:worker_threads";
import { isManageosError } from "@manageos/core";
import { FirehoseDecoder } from "./decode/index.js";
import type { DecodeReply, DecodeRequest, DecodeResult } from "./decoder-thread.js";

// A decoding thread: one FirehoseDecoder (it keeps the contracts' ABIs), fed every block in chain order: those it
// decodes, each answered with its dbin frame in a buffer handed over without a copy, and those another thread
// decodes, which it only observes for their ABIs (no answer). Once a block fails, its state is not trusted and every
// later block is refused.
const decoder = new FirehoseDecoder({ chain: (workerData as { chain?: "leap" | "spring" } | undefined)?.chain });
let broken: string | undefined;

function decodeOne(bytes: Uint8Array, context: Uint8Array | undefined): DecodeResult {
  if (broken !== undefined) return { ok: false, skipped: true, code: "MDR_ERR_DECODE", message: broken };
  try {
    if (context !== undefined) decoder.observe(context);
    const block = decoder.decode(bytes);
    const { number, id, parentId, parentNum, libNum, timestampMs } = block;
    return { ok: true, number, id, parentId, parentNum, libNum, timestampMs, frame: block.frame };
  } catch (error) {
    const coded = isManageosError(error);
    const message = (error as Error).message;
    broken = `an earlier block could not be decoded (${message})`;
    return { ok: false, skipped: false, code: coded ? error.code : "MDR_ERR_DECODE", message };
  }
}

function observe(request: DecodeRequest): void {
  if (broken !== undefined) return;
  try {
    for (const { bytes, context } of request.blocks) {
      if (context !== undefined) decoder.observe(context);
      decoder.observe(bytes);
    }
  } catch (error) {
    broken = `an earlier block could not be read for its ABIs (${(error as Error).message})`;
  }
}

parentPort!.on("message", (request: DecodeRequest) => {
  if (request.observe === true) return observe(request);
  const results = request.blocks.map(({ bytes, context }) => decodeOne(bytes, context));
  const transfer = results.flatMap((result) => (result.ok ? [result.frame.buffer as ArrayBuffer] : []));
  const reply: DecodeReply = { id: request.id, results };
  parentPort!.postMessage(reply, transfer);
});
