/** A value whose arrival is not known (no send time, the session resumed): counted as received, never as live or queued. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chalk } from 'chalk';
import { summaryLines, timelineCells } from '../src/cli/summary-lines.js';
import type { DeliveryContext } from '../src/core/accounting.js';
import { SequenceTracker } from '../src/core/tracker.js';

const context: DeliveryContext = { clean: false, sessionPresent: true, hadSession: true, afterReturn: true, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false, movedNode: false };

describe('values whose arrival is not known', () => {
  it('make their own segment kind, counted as received and unique, not as queued', () => {
    const tracker = new SequenceTracker();
    for (const [value, queued] of [[1, false], [2, false], [3, null], [4, null], [6, null]] as const) {
      tracker.accept({ topic: 't', value, producerId: 'd1', receivedAt: 0, queued, qos: 1, context });
    }
    const summary = tracker.summary();
    assert.deepEqual(summary.topics[0]!.segments, [
      { kind: 'live', from: 1, to: 2 },
      { kind: 'live-or-queued', from: 3, to: 4 },
      { kind: 'missing', from: 5, to: 5 },
      { kind: 'live-or-queued', from: 6, to: 6 },
    ]);
    assert.deepEqual([summary.received, summary.unique, summary.queued, summary.missing], [5, 5, 0, 1]);
  });

  it('a timeline cell shows missing over queued over not known over live, and the legend names ? only when drawn', () => {
    assert.deepEqual(
      timelineCells([{ kind: 'live', from: 1, to: 2 }, { kind: 'live-or-queued', from: 3, to: 4 }, { kind: 'queued', from: 5, to: 6 }, { kind: 'missing', from: 7, to: 8 }], 2),
      ['live-or-queued', 'missing'],
    );
    assert.deepEqual(timelineCells([{ kind: 'live-or-queued', from: 1, to: 2 }, { kind: 'queued', from: 3, to: 3 }], 1), ['queued']);
    const plain = new Chalk({ level: 0 });
    const tracker = new SequenceTracker();
    tracker.accept({ topic: 't', value: 1, producerId: 'd1', receivedAt: 0, queued: null, qos: 1, context });
    assert.ok(summaryLines(tracker.summary(), plain).includes('  # received live   = delivered from the queue on return   ? received on return, live or from the queue: not known   . missing'));
    const live = new SequenceTracker();
    live.accept({ topic: 't', value: 1, producerId: 'd1', receivedAt: 0, queued: false, qos: 1, context });
    assert.ok(summaryLines(live.summary(), plain).includes('  # received live   = delivered from the queue on return   . missing'));
  });
});
