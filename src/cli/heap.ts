import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { growthFactorToward } from '../core/young-generation.js';

/** Each of the young generation's two semi-spaces grows to this and no further (V8's own limit: 16 MiB). */
export const semiSpaceLimitBytes = 8 * 1024 * 1024;
/** How far the old generation may grow past what survived the last full collection (V8 chooses 10 to 400%). */
const oldGenerationGrowthPercent = 20;

/**
 * Keeps the heap of a long drain small: a bin cannot pass V8 flags on its `#!` line portably, so the two
 * that V8 reads when it decides (the young generation's growth step, the old generation's next limit) are
 * set once running. A V8 that ignores them only grows the heap as it would have.
 */
export function keepHeapSmall(): void {
  setFlagsFromString(`--heap-growing-percent=${oldGenerationGrowthPercent}`);
  let factor = 0;
  const steer = (): void => {
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    // The new space counts both semi-spaces.
    const next = growthFactorToward((newSpace?.space_size ?? 0) / 2, semiSpaceLimitBytes);
    if (next === factor) return;
    factor = next;
    setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  steer();
  new PerformanceObserver(steer).observe({ entryTypes: ['gc'] });
}
