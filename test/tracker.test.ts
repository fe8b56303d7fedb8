import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnoseGap, type DeliveryContext } from '../src/core/diagnosis.js';
import { timelineCells, formatRanges } from '../src/cli/render.js';
import { parseValue } from '../src/core/wire.js';
import { SequenceTracker } from '../src/core/tracker.js';
import { type Delivery, type TrackerEvent } from '../src/core/accounting.js';

const live: DeliveryContext = { clean: false, sessionPresent: true, hadSession: true, afterReturn: false, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false };

function delivery(value: number, extra: Partial<Delivery> = {}): Delivery {
  return { topic: 't', value, runId: 'run-a', receivedAt: 1000, queued: false, qos: 1, context: live, ...extra };
}

function feed(tracker: SequenceTracker, values: number[], extra: Partial<Delivery> = {}): TrackerEvent[] {
  return values.flatMap((value) => tracker.accept(delivery(value, extra)));
}

const kinds = (events: TrackerEvent[]): string[] => events.map((e) => e.event);

describe('the sequence tracker', () => {
  it('a consumer that joins late does not call the values before its first one a gap', () => {
    const tracker = new SequenceTracker();
    const events = feed(tracker, [17, 18, 19]);
    assert.deepEqual(kinds(events), ['message', 'message', 'message']);
    assert.equal(tracker.summary().missing, 0);
    assert.equal(tracker.summary().unique, 3);
  });

  it('flags a gap with its range and count', () => {
    const tracker = new SequenceTracker();
    const events = feed(tracker, [1, 2, 6]);
    const gap = events.find((e) => e.event === 'gap');
    assert.deepEqual(gap, { event: 'gap', topic: 't', from: 3, to: 5, missing: 3, cause: 'not-received' });
    assert.equal(tracker.summary().missing, 3);
    assert.deepEqual(tracker.summary().missingRanges, [{ topic: 't', from: 3, to: 5 }]);
  });

  it('counts a redelivered value as a duplicate, not as a new value', () => {
    const tracker = new SequenceTracker();
    const events = feed(tracker, [1, 2, 3, 3, 2]);
    const duplicates = events.filter((e) => e.event === 'message' && e.duplicate).length;
    assert.equal(duplicates, 2);
    const summary = tracker.summary();
    assert.equal(summary.received, 5);
    assert.equal(summary.unique, 3);
    assert.equal(summary.duplicates, 2);
    assert.equal(summary.missing, 0);
  });

  it('a late value fills its gap and is counted out of order', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 5]);
    const events = feed(tracker, [4]);
    assert.equal(events[0]?.event, 'message');
    assert.equal(events[0]?.event === 'message' && events[0].outOfOrder, true);
    const summary = tracker.summary();
    assert.equal(summary.missing, 1);
    assert.equal(summary.outOfOrder, 1);
    assert.deepEqual(summary.missingRanges, [{ topic: 't', from: 3, to: 3 }]);
    feed(tracker, [3]);
    assert.equal(tracker.summary().missing, 0);
    assert.deepEqual(tracker.summary().topics[0]?.segments, [{ kind: 'live', from: 1, to: 5 }]);
  });

  it('filling the middle of a gap splits it in two', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 10]);
    feed(tracker, [5]);
    assert.deepEqual(tracker.summary().missingRanges, [
      { topic: 't', from: 2, to: 4 },
      { topic: 't', from: 6, to: 9 },
    ]);
    assert.equal(tracker.summary().missing, 7);
    // a value inside the remaining gap is still new, not a duplicate
    feed(tracker, [2]);
    assert.equal(tracker.summary().duplicates, 0);
  });

  it('a new producer run starts a new sequence: announced, neither duplicates nor a gap', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3, 4, 5]);
    const events = feed(tracker, [1, 2, 3], { runId: 'run-b' });
    assert.deepEqual(kinds(events), ['producer-restart', 'message', 'message', 'message']);
    const restart = events[0];
    assert.deepEqual(restart, { event: 'producer-restart', topic: 't', runId: 'run-b', previousRunId: 'run-a', lastValue: 5, firstValue: 1 });
    const summary = tracker.summary();
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.restarts, 1);
  });

  it('a producer without run ids that starts again at 1 is a restart too', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3], { runId: undefined });
    const events = feed(tracker, [1, 2], { runId: undefined });
    assert.equal(events[0]?.event, 'producer-restart');
    assert.equal(tracker.summary().duplicates, 0);
  });

  it("a restart keeps the earlier run's missing values in the summary", () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 4]);
    feed(tracker, [1, 2], { runId: 'run-b' });
    const summary = tracker.summary();
    assert.equal(summary.missing, 2);
    assert.deepEqual(summary.missingRanges, [{ topic: 't', from: 2, to: 3 }]);
  });

  it('keeps topics apart', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2], { topic: 'a' });
    feed(tracker, [1, 3], { topic: 'b' });
    assert.deepEqual(tracker.summary().missingRanges, [{ topic: 'b', from: 2, to: 2 }]);
  });

  it('measures the wait in the broker and counts queued values', () => {
    const tracker = new SequenceTracker();
    tracker.accept(delivery(1, { sentAt: 1000, receivedAt: 1005 }));
    const events = tracker.accept(delivery(2, { sentAt: 1000, receivedAt: 9000, queued: true }));
    assert.equal(events[0]?.event === 'message' && events[0].waitedMs, 8000);
    const summary = tracker.summary();
    assert.equal(summary.longestWaitMs, 8000);
    assert.equal(summary.queued, 1);
    assert.deepEqual(summary.topics[0]?.segments, [
      { kind: 'live', from: 1, to: 1 },
      { kind: 'queued', from: 2, to: 2 },
    ]);
  });

  it('a consumer restored from its checkpoint says where it resumes', () => {
    const first = new SequenceTracker();
    feed(first, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<SequenceTracker['snapshot']>;
    const second = new SequenceTracker();
    second.restore(snapshot);
    const events = feed(second, [42]);
    assert.deepEqual(events[0], { event: 'resume', topic: 't', lastValue: 41, firstValue: 42, missed: 0 });
    assert.equal(second.summary().received, 42);
    assert.equal(second.summary().missing, 0);
  });

  it('a gap across a restart is reported from the checkpoint, with the lost session as its cause', () => {
    const first = new SequenceTracker();
    feed(first, [1, 2, 3]);
    const second = new SequenceTracker();
    second.restore(first.snapshot());
    const events = feed(second, [9], { context: { clean: false, sessionPresent: false, hadSession: true, afterReturn: true, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false } });
    assert.deepEqual(kinds(events), ['resume', 'gap', 'message']);
    assert.deepEqual(events[0], { event: 'resume', topic: 't', lastValue: 3, firstValue: 9, missed: 5 });
    assert.equal(events[1]?.event === 'gap' && events[1].cause, 'session-lost');
  });

  it('after a crash, redelivered values are duplicates and nothing is missing', () => {
    const first = new SequenceTracker();
    feed(first, [1, 2, 3, 4]);
    const second = new SequenceTracker();
    second.restore(first.snapshot());
    feed(second, [3, 4, 5, 6]);
    const summary = second.summary();
    assert.equal(summary.duplicates, 2);
    assert.equal(summary.missing, 0);
    assert.equal(summary.unique, 6);
  });

  it('memory grows with the gaps, not with the values', () => {
    const tracker = new SequenceTracker();
    for (let value = 1; value <= 200_000; value++) {
      if (value % 1000 === 0) continue;
      tracker.accept(delivery(value));
    }
    const segments = tracker.summary().topics[0]!.segments;
    assert.equal(segments.length, 2 * 199 + 1);
    assert.equal(tracker.summary().missing, 199);
  });

  it('counts payloads that are not numbers without stopping', () => {
    const tracker = new SequenceTracker();
    assert.deepEqual(parseValue('42'), { value: 42 });
    assert.deepEqual(parseValue(' 7\n'), { value: 7 });
    assert.ok('error' in parseValue('hello'));
    assert.ok('error' in parseValue('1.5'));
    assert.ok('error' in parseValue('-5'), 'the producer never sends a negative value');
    assert.ok('error' in parseValue('+5'));
    assert.ok('error' in parseValue('007'));
    assert.deepEqual(parseValue('0'), { value: 0 });
    assert.ok('error' in parseValue(''));
    const event = tracker.reject('t', 'payload is not a number');
    assert.equal(event.event, 'invalid');
    assert.equal(tracker.summary().invalid, 1);
  });
});

describe('why values were lost', () => {
  const base: DeliveryContext = { clean: false, sessionPresent: true, hadSession: true, afterReturn: true, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false };
  it('names each cause from what the consumer knows', () => {
    assert.equal(diagnoseGap(1, { ...base, clean: true }), 'clean-session');
    assert.equal(diagnoseGap(1, { ...base, sessionPresent: false }), 'session-lost');
    assert.equal(diagnoseGap(0, base), 'qos0');
    assert.equal(diagnoseGap(1, { ...base, afterReturn: false }), 'not-received');
  });

  it('names the queue limit only with evidence: a backlog that reached the limit the consumer was told', () => {
    assert.equal(diagnoseGap(1, { ...base, queuedOnReturn: 1000, queueLimit: null, takeoverSuspected: false }), 'unknown', 'no limit known: the cause is unknown');
    assert.equal(diagnoseGap(1, { ...base, queuedOnReturn: 999, queueLimit: 1000 }), 'unknown', 'the backlog stopped short of the limit: something else lost them');
    assert.equal(diagnoseGap(1, { ...base, queuedOnReturn: 1000, queueLimit: 1000 }), 'queue-limit');
    assert.equal(diagnoseGap(1, { ...base, queuedOnReturn: 0, queueLimit: 0 }), 'queue-limit', 'a broker that queues nothing');
  });

  it('names a takeover when the broker had closed the previous connection without a word', () => {
    assert.equal(diagnoseGap(1, { ...base, takeoverSuspected: true }), 'takeover');
    assert.equal(diagnoseGap(1, { ...base, takeoverSuspected: true, queuedOnReturn: 5, queueLimit: 5 }), 'queue-limit', 'evidence of the queue limit comes first');
    assert.equal(diagnoseGap(1, { ...base, takeoverSuspected: true, afterReturn: false }), 'not-received', 'only values missing on the return');
  });
});

describe('the timeline', () => {
  it('shows every kind, and a single missing value is never hidden', () => {
    const cells = timelineCells(
      [
        { kind: 'live', from: 1, to: 500 },
        { kind: 'missing', from: 501, to: 501 },
        { kind: 'queued', from: 502, to: 1000 },
      ],
      10,
    );
    assert.equal(cells.length, 10);
    assert.ok(cells.includes('missing'));
    assert.equal(cells[0], 'live');
    assert.equal(cells[9], 'queued');
  });

  it('shortens long lists of ranges', () => {
    const ranges = Array.from({ length: 20 }, (_, i) => ({ from: i * 10, to: i * 10 + 1 }));
    const text = formatRanges(ranges);
    assert.match(text, /more ranges/);
    assert.ok(text.startsWith('0-1, 10-11'));
    assert.ok(text.endsWith('180-181, 190-191'));
  });
});
