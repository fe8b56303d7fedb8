/** The consumer's heap: its young generation stops at 8 MiB semi-spaces, where V8 alone grows them to 16 MiB. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { growthFactorToward } from '../src/core/young-generation.js';

const MiB = 1024 * 1024;

describe('the growth step toward a semi-space limit', () => {
  it('doubles while a doubling stays within the limit', () => {
    assert.equal(growthFactorToward(1 * MiB, 8 * MiB), 2);
    assert.equal(growthFactorToward(4 * MiB, 8 * MiB), 2);
  });

  it('keeps the semi-space as it is at the limit, past it, or when a doubling would pass it', () => {
    assert.equal(growthFactorToward(8 * MiB, 8 * MiB), 1);
    assert.equal(growthFactorToward(16 * MiB, 8 * MiB), 1);
    assert.equal(growthFactorToward(5 * MiB, 8 * MiB), 1);
  });

  it('keeps it as it is when its size is not known', () => {
    assert.equal(growthFactorToward(0, 8 * MiB), 1);
    assert.equal(growthFactorToward(Number.NaN, 8 * MiB), 1);
  });
});

/**
 * A process that keeps the last 100,000 of many small objects alive across turns of its event loop, as a
 * drain keeps its unacknowledged messages, and prints the largest new space (both semi-spaces) it saw, in MiB.
 */
function largestNewSpace(keepHeapSmall: boolean): number {
  const heap = pathToFileURL(join(import.meta.dirname, '..', 'src', 'cli', 'heap.ts')).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    if (${keepHeapSmall}) (await import(${JSON.stringify(heap)})).keepHeapSmall();
    const kept = new Array(100_000);
    let largest = 0;
    for (let turn = 0; turn < 3000; turn++) {
      for (let i = 0; i < 1000; i++) kept[(turn * 1000 + i) % kept.length] = { i, text: 'value ' + i + ' of turn ' + turn };
      await new Promise((resolve) => setImmediate(resolve));
      largest = Math.max(largest, getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size);
    }
    process.stdout.write(String(largest / ${MiB}));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout);
}

describe('keepHeapSmall', () => {
  it('holds the young generation at two semi-spaces of 8 MiB where V8 alone grows it to two of 16 MiB', () => {
    const alone = largestNewSpace(false);
    const kept = largestNewSpace(true);
    assert.equal(alone, 32, 'V8 alone grows the new space to its limit');
    assert.ok(kept <= 16, `kept small: ${kept} MiB`);
    assert.ok(kept >= 8, `still grown past its start: ${kept} MiB`);
  });
});
