import { BlockTimestamp } from "@wharfkit/antelope";
import { blockTimestampSlot, type SimBlock, slotTimeMs } from "./block.js";
import type { SimChain } from "./chain.js";

/** Deep-mind output on stdout, as `deep-mind = true` makes nodeos print it. */
export interface DeepMind {
  start(chain: SimChain): void;
  onBlock(block: SimBlock, lib: number): void;
  flush(): Promise<void>;
}

/** Spring 1.x deep-mind: which blocks are under Savanna (they get ACCEPTED_BLOCK_V2). */
export interface SpringDeepMind {
  readonly isSavanna: (num: number) => boolean;
}

/**
 * Prints leap 13 deep-mind: the version line, then per block START_BLOCK, a few operations and
 * ACCEPTED_BLOCK with the packed block_state_legacy, encoded with the mindreader's struct definitions.
 * Spring 1.x: `spring 1 0`, the legacy line in spring's layout before Savanna, ACCEPTED_BLOCK_V2 after.
 */
export async function startDeepMind(spring?: SpringDeepMind): Promise<DeepMind> {
  const mr = await import("@manageos/mindreader");
  const write = (line: string) => process.stdout.write(`${line}\n`);
  return {
    start: () => write(mr.formatVersionLine(spring === undefined ? "leap" : "spring")),
    onBlock: (block, lib) => {
      write(mr.formatStartBlockLine(block.num));
      write(
        `DMLOG RLIMIT_OP STATE UPD {"average_block_net_usage":{"last_ordinal":${block.num},"value_ex":0,"consumed":0},"average_block_cpu_usage":{"last_ordinal":${block.num},"value_ex":0,"consumed":0},"pending_net_usage":0,"pending_cpu_usage":0,"total_net_weight":0,"total_cpu_weight":0,"total_ram_bytes":0,"virtual_net_limit":1048576,"virtual_cpu_limit":200000}`,
      );
      write(
        `DMLOG FEATURE_OP ACTIVATE 0000000000000000000000000000000000000000000000000000000000000000 {"feature_digest":"0000000000000000000000000000000000000000000000000000000000000000","subjective_restrictions":{"enabled":true,"preactivation_required":false,"earliest_allowed_activation_time":"1970-01-01T00:00:00.000"},"description_digest":"","dependencies":[],"protocol_feature_type":"builtin","specification":[]}`,
      );
      const signed = mr.SignedBlock.from({
        timestamp: BlockTimestamp.fromMilliseconds(slotTimeMs(blockTimestampSlot(block.timeMs))),
        producer: block.producer,
        confirmed: block.confirmed,
        previous: block.previous,
        transaction_mroot: block.transactionMroot,
        action_mroot: block.actionMroot,
        schedule_version: block.scheduleVersion,
        header_extensions: [],
        producer_signature: block.signature,
        transactions: [],
        block_extensions: [],
      });
      if (spring === undefined) write(mr.formatAcceptedBlockLine(mr.buildLeapBlockState(signed, lib)));
      else if (spring.isSavanna(block.num)) write(mr.formatAcceptedBlockV2Line(signed, lib));
      else write(mr.formatAcceptedBlockLine(mr.buildSpringBlockStateLegacy(signed, lib), "spring"));
    },
    flush: () => new Promise((resolve) => process.stdout.write("", () => resolve())),
  };
}
