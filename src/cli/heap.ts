import { constants, PerformanceObserver, type PerformanceObserverEntryList } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fullCollectionDue, growthFactorToward, type OldGenerationLimit } from '../core/heap-limits.js';

/** Each of the young generation's two semi-spaces grows to this and no further (V8's own limit: 16 MiB). */
export const semiSpaceLimitBytes = 6 * 1024 * 1024;
/** How far the old generation may grow past what survived the last full collection before one is asked for (V8 alone let a drain's grow from 9.9 to 16 MiB). */
export const oldGenerationLimit: OldGenerationLimit = { growthPercent: 20, minimumStepBytes: 2 * 1024 * 1024 };

/** V8's gc(): without arguments, a full collection done before it returns (given `{ type: 'major' }`, Node 20's V8 ran a young one). */
type Collect = () => void;

/** The old space's bytes in use and the new space's size (both semi-spaces), from one reading. */
function spaces(): { oldUsed: number; newSize: number } {
  let oldUsed = 0;
  let newSize = 0;
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space') oldUsed = space.space_used_size;
    else if (space.space_name === 'new_space') newSize = space.space_size;
  }
  return { oldUsed, newSize };
}

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
  let survived = spaces().oldUsed;
  const steer = (list?: PerformanceObserverEntryList): void => {
    const now = spaces();
    if (list?.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
      survived = now.oldUsed;
    }
    if (typeof collect === 'function' && fullCollectionDue(now.oldUsed, survived, oldGenerationLimit)) {
      collect();
      survived = spaces().oldUsed;
    }
    const next = growthFactorToward(now.newSize / 2, semiSpaceLimitBytes);
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  steer();
  new PerformanceObserver(steer).observe({ entryTypes: ['gc'] });
}
