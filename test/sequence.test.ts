import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Delivery, DeliveryContext } from '../src/core/accounting.js';
import type { TrackerEvent } from '../src/core/events.js';
import { UnnamedSequence } from '../src/core/probation.js';
import { ProducerSequence } from '../src/core/sequence.js';
import { SequenceTracker } from '../src/core/tracker.js';
import { seededRandom } from './support/random.js';

const live: DeliveryContext = { clean: false, sessionPresent: true, hadSession: true, afterReturn: false, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false };

function delivery(value: number, extra: Partial<Delivery> = {}): Delivery {
  return { topic: 't', value, receivedAt: 1000, queued: false, qos: 1, context: live, ...extra };
}

/** One producer's sequence, started by its first value and fed the rest. */
function sequenceOf(values: number[], extra: Partial<Delivery> = {}): { sequence: ProducerSequence; events: TrackerEvent[] } {
  const started = ProducerSequence.start(delivery(values[0]!, extra), null, false);
  const events = [...started.events, ...values.slice(1).flatMap((value) => started.sequence.accept(delivery(value, extra), null).events)];
  return { sequence: started.sequence, events };
}

describe("a producer's sequence", () => {
  it('its unique and missing counts follow from its segments, and those of an ended run stay counted', () => {
    const { sequence } = sequenceOf([1, 2, 5, 3], { producerId: 'p', runId: 'r1' });
    assert.deepEqual([sequence.unique, sequence.missing], [4, 1]);
    const placed = sequence.accept(delivery(1, { producerId: 'p', runId: 'r2' }), null);
    assert.deepEqual(placed.endedRun, [
      { kind: 'live', from: 1, to: 3 },
      { kind: 'missing', from: 4, to: 4 },
      { kind: 'live', from: 5, to: 5 },
    ]);
    assert.deepEqual(sequence.segments, [{ kind: 'live', from: 1, to: 1 }]);
    assert.deepEqual([sequence.unique, sequence.missing, sequence.restarts, sequence.outOfOrder], [5, 1, 1, 1]);
  });

  it('restored from its snapshot it counts on from where it was, the ended runs included', () => {
    const { sequence } = sequenceOf([1, 3, 1, 2, 6], { producerId: 'p' });
    const saved = sequence.snapshot();
    assert.deepEqual([saved.unique, saved.missing, saved.restarts], [5, 4, 1], 'run 1: 1, 3 (2 missing); run 2: 1, 2, 6 (3-5 missing)');
    const restored = ProducerSequence.restore(saved, false);
    assert.deepEqual(restored.snapshot(), saved);
    const { events } = restored.accept(delivery(4, { producerId: 'p' }), null);
    assert.deepEqual(events.map((e) => e.event), ['resume', 'message']);
    assert.deepEqual([restored.unique, restored.missing], [6, 3]);
  });
});

describe('the probation of a publisher without an id', () => {
  const unnamed = (value: number): Delivery => delivery(value);

  it('wraps one sequence: its gap is held, then said after the 20th value as far as it still stands', () => {
    const started = ProducerSequence.start(unnamed(1), null, false);
    const wrapped = UnnamedSequence.wrap(started.sequence);
    const early = [5, 3, ...Array.from({ length: 16 }, (_, i) => 6 + i)].flatMap((value) => wrapped.accept(unnamed(value), null).events);
    assert.equal(started.sequence.received, 19);
    assert.deepEqual([...new Set(early.map((e) => e.event))], ['message'], 'nothing but messages while on probation');
    const twentieth = wrapped.accept(unnamed(22), null).events;
    assert.deepEqual(
      twentieth.filter((e) => e.event === 'gap'),
      [
        { event: 'gap', topic: 't', producerId: null, from: 2, to: 2, missing: 1, cause: 'not-received' },
        { event: 'gap', topic: 't', producerId: null, from: 4, to: 4, missing: 1, cause: 'not-received' },
      ],
      'the gap 2-4, less the late 3',
    );
    assert.deepEqual(wrapped.settle(), [], 'said once');
    assert.deepEqual(wrapped.view(), started.sequence.view(), 'the counts are those of the sequence it wraps');
  });

  it('found shared, it keeps only what can be counted; restored, it stays so', () => {
    const wrapped = UnnamedSequence.wrap(ProducerSequence.start(unnamed(1), null, false).sequence);
    const events = [101, 2, 102, 3, 103, 4, 104, 5].flatMap((value) => wrapped.accept(unnamed(value), null).events);
    assert.deepEqual(events.at(-1), { event: 'shared-topic', topic: 't', received: 9, stepsBack: 4, withdrawn: { missing: 95, duplicates: 0, restarts: 0 } });
    assert.deepEqual(wrapped.settle(), [], 'the held gap is withdrawn with the rest');
    for (const value of [105, 7]) wrapped.accept(unnamed(value), null);
    const saved = wrapped.snapshot();
    assert.deepEqual(saved, {
      topic: 't', producerId: null, runId: null, first: 1, highest: 105, received: 11, unique: 0, missing: 0, duplicates: 0, outOfOrder: 0, queued: 0, restarts: 0,
      longestQueuedWaitMs: null, shared: true, segments: [], stepsBack: 4,
    });
    const restored = UnnamedSequence.restore(saved, false);
    assert.deepEqual(restored.accept(unnamed(1), null).events.map((e) => e.event), ['message'], 'no resume, no duplicate');
    assert.equal(restored.view().received, 12);
  });
});

describe('totals summed when asked', () => {
  it('after sharing, the shared values move from unique to unjudged while the other topics keep their counts', () => {
    const tracker = new SequenceTracker();
    for (const value of [1, 2, 3, 5]) tracker.accept(delivery(value, { topic: 'named', producerId: 'p' }));
    tracker.accept(delivery(4, { topic: 'named', producerId: 'p', queued: true }));
    for (const value of [1, 101, 2, 102, 3]) tracker.accept(delivery(value, { topic: 'open' }));
    const before = tracker.summary();
    assert.deepEqual([before.received, before.unique, before.missing, before.outOfOrder, before.unjudged], [10, 10, 97, 3, 0], 'named: 1-5, its 4 late; open: 1-3 and 101-102, 4-100 missing');
    const shared = [103, 4, 104, 5].flatMap((value) => tracker.accept(delivery(value, { topic: 'open' })));
    assert.equal(shared.filter((e) => e.event === 'shared-topic').length, 1);
    const after = tracker.summary();
    assert.deepEqual(
      [after.received, after.unique, after.missing, after.duplicates, after.outOfOrder, after.queued, after.unjudged],
      [14, 5, 0, 0, 1, 1, 9],
      'named keeps 5 unique, its late 4 and its queued 4; open is 9 unjudged',
    );
  });

  it('any stream of values: the totals are the sums of the rows, and a snapshot restored is the same snapshot', () => {
    const random = seededRandom('TRACKER_SEED');
    const because = `replay with TRACKER_SEED=${random.seed}`;
    const pick = <T>(items: T[]): T => items[Math.floor(random.next() * items.length)]!;
    for (let trial = 0; trial < 200; trial++) {
      const tracker = new SequenceTracker({ groupMember: random.next() < 0.2 });
      let next = 1;
      for (let step = 0; step < 200; step++) {
        const roll = random.next();
        const value = roll < 0.6 ? next++ : roll < 0.7 ? (next += 3) : roll < 0.9 ? Math.max(0, next - Math.ceil(random.next() * 8)) : 1;
        const producer = pick<Partial<Delivery>>([{ producerId: 'a', runId: pick(['r1', 'r2']) }, { producerId: 'b' }, {}, { runId: 'solo' }]);
        tracker.accept(delivery(value, { ...producer, topic: pick(['t', 'u']), queued: random.next() < 0.2, retained: random.next() < 0.03 }));
        if (random.next() < 0.02) tracker.reject('t', { reason: 'not-a-value', payload: 'not a value', truncated: false });
      }
      const summary = tracker.summary();
      const sum = (pick: (row: (typeof summary.topics)[number]) => number): number => summary.topics.reduce((total, row) => total + pick(row), 0);
      assert.equal(summary.received, sum((row) => row.received), because);
      assert.equal(summary.unique + summary.unjudged, sum((row) => (row.shared ? row.received : row.unique)), because);
      assert.equal(summary.missing, sum((row) => row.missing), because);
      assert.ok(summary.missing >= summary.topics.flatMap((row) => row.segments).filter((s) => s.kind === 'missing').reduce((total, s) => total + s.to - s.from + 1, 0), because);
      const snapshot = JSON.parse(JSON.stringify(tracker.snapshot())) as ReturnType<SequenceTracker['snapshot']>;
      const restored = new SequenceTracker();
      restored.restore(snapshot);
      assert.deepEqual(restored.snapshot(), snapshot, because);
    }
  });
});
