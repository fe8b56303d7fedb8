/**
 * The limits the consumer keeps its heap within, as pure decisions: how far V8 may grow the young
 * generation next, and when the old generation has grown far enough past what last survived a full
 * collection that one is due.
 */

/**
 * How much V8 may grow its young generation the next time it does, so that a semi-space ends at most at a
 * target: V8 multiplies the semi-space by this whole factor when it grows it (by 2 unless told), and a
 * factor of 1 keeps it as it is. The largest that stays within the target, so that a target that is not
 * a power of two is reached from where V8 starts (1 MiB to 6 MiB in one step).
 */
export function growthFactorToward(semiSpaceBytes: number, targetBytes: number): number {
  if (!(semiSpaceBytes > 0)) return 1;
  return Math.max(1, Math.floor(targetBytes / semiSpaceBytes));
}

export interface OldGenerationLimit {
  /** The old generation may grow by this share of what survived the last full collection… */
  growthPercent: number;
  /** …and by at least this much. */
  minimumStepBytes: number;
}

/**
 * Whether the old generation, now holding usedBytes, has grown past what survived the last full
 * collection (survivedBytes) by more than the limit allows. V8 lets a small heap grow by a step that its
 * growth percentage does not lower (a drain's, from 9.9 to 16 MiB without a full collection); objects
 * that outlive a few young collections and then die (messages waiting for their checkpoint) fill that
 * step with garbage.
 */
export function fullCollectionDue(usedBytes: number, survivedBytes: number, limit: OldGenerationLimit): boolean {
  if (!(usedBytes > 0) || !(survivedBytes > 0)) return false;
  const step = Math.max(limit.minimumStepBytes, (survivedBytes * limit.growthPercent) / 100);
  return usedBytes - survivedBytes > step;
}
