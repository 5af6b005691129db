/** The steps `backup.dirtyPolicy` may list. */
export const DIRTY_STEPS = ["restore-latest", "replay", "fail"] as const;

/** One step of `backup.dirtyPolicy`. */
export type DirtyStep = (typeof DIRTY_STEPS)[number];
