import { constants, PerformanceObserver, type PerformanceObserverEntryList } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fullCollectionDue, growthFactorToward, type OldGenerationLimit } from '../core/heap-limits.js';

/** Each of the young generation's two semi-spaces grows to this and no further (V8's own limit: 16 MiB). */
export const semiSpaceLimitBytes = 6 * 1024 * 1024;
/** How far the old generation may grow past what survived the last full collection (V8: 10 to 400%, and 8 MiB at least). */
export const oldGenerationLimit: OldGenerationLimit = { growthPercent: 20, minimumStepBytes: 2 * 1024 * 1024 };

/** V8's gc(): without arguments, a full collection, done before it returns (V8 11 reads an options object that this one need not pass). */
type Collect = () => void;

const spaceUsed = (name: string): { size: number; used: number } => {
  const space = getHeapSpaceStatistics().find((candidate) => candidate.space_name === name);
  return { size: space?.space_size ?? 0, used: space?.space_used_size ?? 0 };
};

/**
 * Keeps the heap of a long drain small: a bin cannot pass V8 flags on its `#!` line portably, so the
 * young generation's growth step and the old generation's growth are set once running, and a full
 * collection is asked for (through the gc function V8 gives a context made after --expose-gc) when the
 * old generation has grown past its limit. A V8 that ignores the flags only grows the heap as it would have.
 */
export function keepHeapSmall(): void {
  setFlagsFromString(`--heap-growing-percent=${oldGenerationLimit.growthPercent}`);
  setFlagsFromString('--expose-gc');
  // A V8 that did not take the flag has no gc in the new context either: then no full collection is asked for.
  const collect = runInNewContext("typeof gc === 'function' ? gc : undefined") as Collect | undefined;
  let factor = 0;
  let survived = spaceUsed('old_space').used;
  const steer = (list?: PerformanceObserverEntryList): void => {
    if (list?.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      survived = spaceUsed('old_space').used;
    }
    if (typeof collect === 'function' && fullCollectionDue(spaceUsed('old_space').used, survived, oldGenerationLimit)) {
      collect();
      survived = spaceUsed('old_space').used;
    }
    // The new space counts both semi-spaces.
    const next = growthFactorToward(spaceUsed('new_space').size / 2, semiSpaceLimitBytes);
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  steer();
  new PerformanceObserver(steer).observe({ entryTypes: ['gc'] });
}
