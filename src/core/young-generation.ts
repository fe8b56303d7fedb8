/**
 * How much V8 may grow its young generation the next time it does, so that a semi-space ends at most at a
 * target: V8 multiplies the semi-space by this factor when it grows it, and a factor of 1 keeps it as it is.
 * It doubles at most (V8's own step), so that each step can be seen before the next.
 */
export function growthFactorToward(semiSpaceBytes: number, targetBytes: number): number {
  if (!(semiSpaceBytes > 0)) return 1;
  return Math.min(2, Math.max(1, Math.floor(targetBytes / semiSpaceBytes)));
}
