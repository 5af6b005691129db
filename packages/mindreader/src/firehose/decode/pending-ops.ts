import type { CreationLine } from "./creation-tree.js";
import type { DbOp, DtrxOp, FeatureOp, PermOp, RamCorrectionOp, RamOp, RlimitOp, TableOp } from "./proto-types.js";

/** The operations deep-mind printed since the last APPLIED_TRANSACTION: they belong to the next trace. */
export class PendingOps {
  dbOps: DbOp[] = [];
  dtrxOps: DtrxOp[] = [];
  featureOps: FeatureOp[] = [];
  permOps: PermOp[] = [];
  ramOps: RamOp[] = [];
  ramCorrectionOps: RamCorrectionOp[] = [];
  rlimitOps: RlimitOp[] = [];
  tableOps: TableOp[] = [];
  creation: CreationLine[] = [];

  /** Whether any operation waits for its transaction. */
  get empty(): boolean {
    return (
      this.dbOps.length +
        this.dtrxOps.length +
        this.featureOps.length +
        this.permOps.length +
        this.ramOps.length +
        this.ramCorrectionOps.length +
        this.rlimitOps.length +
        this.tableOps.length +
        this.creation.length ===
      0
    );
  }

  /** Hands the operations over and starts empty. */
  take(): Omit<PendingOps, "take" | "empty"> {
    const taken = { ...this };
    this.dbOps = [];
    this.dtrxOps = [];
    this.featureOps = [];
    this.permOps = [];
    this.ramOps = [];
    this.ramCorrectionOps = [];
    this.rlimitOps = [];
    this.tableOps = [];
    this.creation = [];
    return taken;
  }
}
