/**
 * The consumer's heap: its young generation stops at 6 MiB semi-spaces, where V8 alone grows them to 16 MiB,
 * and its old generation is collected in full once it has grown 2 MiB (or 20%) past what last survived.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { fullCollectionDue, growthFactorToward } from '../src/core/heap-limits.js';

const MiB = 1024 * 1024;

describe('the growth step toward a semi-space limit', () => {
  it('is the largest whole factor that stays within the limit', () => {
    assert.equal(growthFactorToward(1 * MiB, 6 * MiB), 6);
    assert.equal(growthFactorToward(2 * MiB, 6 * MiB), 3);
    assert.equal(growthFactorToward(1 * MiB, 8 * MiB), 8);
    assert.equal(growthFactorToward(4 * MiB, 8 * MiB), 2);
  });

  it('keeps the semi-space as it is at the limit, past it, or when any growth would pass it', () => {
    assert.equal(growthFactorToward(6 * MiB, 6 * MiB), 1);
    assert.equal(growthFactorToward(16 * MiB, 6 * MiB), 1);
    assert.equal(growthFactorToward(4 * MiB, 6 * MiB), 1);
  });

  it('keeps it as it is when its size is not known', () => {
    assert.equal(growthFactorToward(0, 6 * MiB), 1);
    assert.equal(growthFactorToward(Number.NaN, 6 * MiB), 1);
  });
});

describe('when a full collection is due', () => {
  const limit = { growthPercent: 20, minimumStepBytes: 2 * MiB };

  it('on a small heap, once the old generation has grown more than the minimum step', () => {
    assert.equal(fullCollectionDue(9 * MiB + 2 * MiB, 9 * MiB, limit), false);
    assert.equal(fullCollectionDue(9 * MiB + 2 * MiB + 1, 9 * MiB, limit), true);
  });

  it('on a large heap, once it has grown more than its share', () => {
    assert.equal(fullCollectionDue(120 * MiB, 100 * MiB, limit), false);
    assert.equal(fullCollectionDue(120 * MiB + 1, 100 * MiB, limit), true);
  });

  it('never when a size is not known', () => {
    assert.equal(fullCollectionDue(0, 9 * MiB, limit), false);
    assert.equal(fullCollectionDue(20 * MiB, 0, limit), false);
    assert.equal(fullCollectionDue(Number.NaN, 9 * MiB, limit), false);
  });
});

/**
 * A process that keeps the last 100,000 of many small objects alive across turns of its event loop, as a
 * drain keeps its unacknowledged messages (each lives long enough to leave the young generation, then
 * dies), and prints the largest new space (both semi-spaces) and old space it saw, in MiB, and how many
 * full collections were asked for (V8 marks those as forced).
 */
function largestSpaces(keepHeapSmall: boolean): { newSpace: number; oldSpace: number; forced: number } {
  const heap = pathToFileURL(join(import.meta.dirname, '..', 'src', 'cli', 'heap.ts')).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { constants, PerformanceObserver } from 'node:perf_hooks';
    if (${keepHeapSmall}) (await import(${JSON.stringify(heap)})).keepHeapSmall();
    const kept = new Array(100_000);
    const largest = { newSpace: 0, oldSpace: 0, forced: 0 };
    const observer = new PerformanceObserver((list) => {
      for (const { detail } of list.getEntries()) {
        if (detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && (detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) largest.forced++;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    for (let turn = 0; turn < 3000; turn++) {
      for (let i = 0; i < 1000; i++) kept[(turn * 1000 + i) % kept.length] = { i, text: 'value ' + i + ' of turn ' + turn };
      await new Promise((resolve) => setImmediate(resolve));
      const spaces = getHeapSpaceStatistics();
      largest.newSpace = Math.max(largest.newSpace, spaces.find((space) => space.space_name === 'new_space').space_size / ${MiB});
      largest.oldSpace = Math.max(largest.oldSpace, spaces.find((space) => space.space_name === 'old_space').space_size / ${MiB});
    }
    // The entries of the last collections are delivered on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    process.stdout.write(JSON.stringify(largest));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { newSpace: number; oldSpace: number; forced: number };
}

describe('keepHeapSmall', () => {
  it('holds the young generation at two semi-spaces of 6 MiB, and the old one well below where V8 alone lets it grow', () => {
    const alone = largestSpaces(false);
    const kept = largestSpaces(true);
    assert.equal(alone.newSpace, 32, 'V8 alone grows the new space to its limit');
    assert.ok(kept.newSpace <= 12, `kept small: ${kept.newSpace} MiB`);
    assert.ok(kept.newSpace > 8, `grown to the limit, past V8's own steps of 1, 2 and 4 MiB: ${kept.newSpace} MiB`);
    assert.ok(kept.oldSpace < alone.oldSpace - 8, `old space kept ${kept.oldSpace} MiB, alone ${alone.oldSpace} MiB`);
    // The old generation's percentage alone keeps it smaller too: the full collections asked for are the consumer's own.
    assert.equal(alone.forced, 0, 'no full collection is asked for without it');
    assert.ok(kept.forced > 0, `full collections asked for: ${kept.forced}`);
  });
});
