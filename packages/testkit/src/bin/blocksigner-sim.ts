import { runBlocksigner } from "../blocksigner/main.js";

// A stand-in for eos-blocksigner: the keosd wallet API (get_public_keys, sign_digest) over real K1 keys.
runBlocksigner(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
