import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnoseGap, type DeliveryContext } from '../src/core/diagnosis.js';
import { formatRanges } from '../src/cli/format.js';
import { timelineCells } from '../src/cli/summary-lines.js';
import { parseValue } from '../src/core/wire.js';
import { SequenceTracker } from '../src/core/tracker.js';
import { type Delivery } from '../src/core/accounting.js';
import { type TrackerEvent } from '../src/core/events.js';

const live: DeliveryContext = { clean: false, sessionPresent: true, hadSession: true, afterReturn: false, queuedOnReturn: 0, queueLimit: null, takeoverSuspected: false };

function delivery(value: number, extra: Partial<Delivery> = {}): Delivery {
  return { topic: 't', value, producerId: 'p1', runId: 'run-a', receivedAt: 1000, queued: false, qos: 1, context: live, ...extra };
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
    assert.deepEqual(gap, { event: 'gap', topic: 't', producerId: 'p1', from: 3, to: 5, missing: 3, cause: 'not-received' });
    assert.equal(tracker.summary().missing, 3);
    assert.deepEqual(tracker.summary().missingRanges, [{ topic: 't', producerId: 'p1', from: 3, to: 5 }]);
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
    assert.deepEqual(events, [{ event: 'message', topic: 't', value: 4, duplicate: false, outOfOrder: true, queued: false, retained: false, waitedMs: null, sentAt: null, qos: 1, producerId: 'p1', runId: 'run-a' }]);
    const summary = tracker.summary();
    assert.equal(summary.missing, 1);
    assert.equal(summary.outOfOrder, 1);
    assert.deepEqual(summary.missingRanges, [{ topic: 't', producerId: 'p1', from: 3, to: 3 }]);
    feed(tracker, [3]);
    assert.equal(tracker.summary().missing, 0);
    assert.deepEqual(tracker.summary().topics[0]?.segments, [{ kind: 'live', from: 1, to: 5 }]);
  });

  it('filling the middle of a gap splits it in two', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 10]);
    feed(tracker, [5]);
    assert.deepEqual(tracker.summary().missingRanges, [
      { topic: 't', producerId: 'p1', from: 2, to: 4 },
      { topic: 't', producerId: 'p1', from: 6, to: 9 },
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
    assert.deepEqual(restart, { event: 'producer-restart', topic: 't', producerId: 'p1', runId: 'run-b', previousRunId: 'run-a', lastValue: 5, firstValue: 1 });
    const summary = tracker.summary();
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.missing, 0);
    assert.equal(summary.restarts, 1);
  });

  it('a producer without run ids that starts again at 1 is a restart too', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3], { runId: undefined });
    const events = feed(tracker, [1, 2], { runId: undefined });
    assert.deepEqual(events[0], { event: 'producer-restart', topic: 't', producerId: 'p1', runId: null, previousRunId: null, lastValue: 3, firstValue: 1 });
    assert.equal(tracker.summary().duplicates, 0);
  });

  it("a restart keeps the earlier run's missing values in the summary", () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 4]);
    feed(tracker, [1, 2], { runId: 'run-b' });
    const summary = tracker.summary();
    assert.equal(summary.missing, 2);
    assert.deepEqual(summary.missingRanges, [{ topic: 't', producerId: 'p1', from: 2, to: 3 }]);
  });

  it('keeps topics apart', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2], { topic: 'a' });
    feed(tracker, [1, 3], { topic: 'b' });
    assert.deepEqual(tracker.summary().missingRanges, [{ topic: 'b', producerId: 'p1', from: 2, to: 2 }]);
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
    assert.deepEqual(events[0], { event: 'resume', topic: 't', producerId: 'p1', lastValue: 41, firstValue: 42, missed: 0 });
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
    assert.deepEqual(events[0], { event: 'resume', topic: 't', producerId: 'p1', lastValue: 3, firstValue: 9, missed: 5 });
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
    tracker.accept(delivery(1));
    const bad = parseValue('hello');
    assert.ok('error' in bad);
    const event = tracker.reject('t', bad.error);
    assert.deepEqual(event, { event: 'invalid', topic: 't', reason: 'not-a-value', payload: 'hello', truncated: false });
    // The count goes on after the bad payload: the next value is the next in the sequence, not a gap.
    assert.deepEqual(tracker.accept(delivery(2)).filter((e) => e.event !== 'message'), []);
    const summary = tracker.summary();
    assert.deepEqual({ invalid: summary.invalid, received: summary.received, missing: summary.missing }, { invalid: 1, received: 2, missing: 0 });
  });
});

/** Values of several producers as they would arrive interleaved: one from each in turn. */
function interleave(...streams: Array<Array<Partial<Delivery> & { value: number }>>): Delivery[] {
  const out: Delivery[] = [];
  const longest = Math.max(...streams.map((stream) => stream.length));
  for (let i = 0; i < longest; i++) for (const stream of streams) if (stream[i]) out.push(delivery(stream[i]!.value, stream[i]));
  return out;
}

function counting(from: number, to: number, extra: Partial<Delivery>, skip: number[] = []): Array<Partial<Delivery> & { value: number }> {
  const values: Array<Partial<Delivery> & { value: number }> = [];
  for (let value = from; value <= to; value++) if (!skip.includes(value)) values.push({ ...extra, value });
  return values;
}

const unnamed: Partial<Delivery> = { producerId: undefined, runId: undefined };

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('several producers on one topic', () => {
  it('two producers interleaving: no restart, no gap, one sequence each', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 300, { producerId: 'a', runId: 'ra' }), counting(1, 300, { producerId: 'b', runId: 'rb' })).flatMap((d) => tracker.accept(d));
    assert.deepEqual([...new Set(kinds(events))], ['message']);
    const summary = tracker.summary();
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.restarts, 0);
    assert.equal(summary.unique, 600);
    assert.deepEqual(
      summary.topics.map((row) => [row.producerId, row.runId, row.first, row.highest, row.received, row.segments.length]),
      [
        ['a', 'ra', 1, 300, 300, 1],
        ['b', 'rb', 1, 300, 300, 1],
      ],
    );
  });

  it('three producers counting from different starts: none is a gap of another', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 50, { producerId: 'a' }), counting(101, 150, { producerId: 'b' }), counting(1001, 1050, { producerId: 'c' })).flatMap((d) =>
      tracker.accept(d),
    );
    assert.deepEqual([...new Set(kinds(events))], ['message']);
    assert.equal(tracker.summary().missing, 0);
  });

  it('exactly the values one producer skipped are missing, named with that producer', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 30, { producerId: 'a' }), counting(1, 30, { producerId: 'b' }), counting(1, 30, { producerId: 'c' }, [7, 8, 20])).flatMap((d) =>
      tracker.accept(d),
    );
    const gaps = events.filter((e) => e.event === 'gap');
    assert.deepEqual(gaps, [
      { event: 'gap', topic: 't', producerId: 'c', from: 7, to: 8, missing: 2, cause: 'not-received' },
      { event: 'gap', topic: 't', producerId: 'c', from: 20, to: 20, missing: 1, cause: 'not-received' },
    ]);
    const summary = tracker.summary();
    assert.equal(summary.missing, 3);
    assert.deepEqual(summary.missingRanges, [
      { topic: 't', producerId: 'c', from: 7, to: 8 },
      { topic: 't', producerId: 'c', from: 20, to: 20 },
    ]);
    assert.deepEqual(
      summary.topics.map((row) => [row.producerId, row.missing]),
      [
        ['a', 0],
        ['b', 0],
        ['c', 3],
      ],
    );
  });

  it('a restart is the same producer beginning a new run, reported for that producer only', () => {
    const tracker = new SequenceTracker();
    interleave(counting(1, 10, { producerId: 'a', runId: 'a1' }), counting(1, 10, { producerId: 'b', runId: 'b1' })).forEach((d) => tracker.accept(d));
    const events = interleave(counting(1, 5, { producerId: 'a', runId: 'a2' }), counting(11, 15, { producerId: 'b', runId: 'b1' })).flatMap((d) => tracker.accept(d));
    const restarts = events.filter((e) => e.event === 'producer-restart');
    assert.deepEqual(restarts, [{ event: 'producer-restart', topic: 't', producerId: 'a', runId: 'a2', previousRunId: 'a1', lastValue: 10, firstValue: 1 }]);
    const summary = tracker.summary();
    assert.equal(summary.restarts, 1);
    assert.equal(summary.duplicates, 0);
    assert.deepEqual(
      summary.topics.map((row) => [row.producerId, row.runId, row.first, row.highest, row.restarts, row.received]),
      [
        ['a', 'a2', 1, 5, 1, 15],
        ['b', 'b1', 1, 15, 0, 15],
      ],
    );
  });

  it('a producer with an id but no run id (MQTT 3.1.1, id in the payload) restarts when its counter starts again at 1', () => {
    const tracker = new SequenceTracker();
    interleave(counting(1, 5, { producerId: 'a', runId: undefined }), counting(1, 5, { producerId: 'b', runId: undefined })).forEach((d) => tracker.accept(d));
    const events = interleave(counting(1, 2, { producerId: 'a', runId: undefined }), counting(6, 7, { producerId: 'b', runId: undefined })).flatMap((d) => tracker.accept(d));
    assert.deepEqual(
      events.filter((e) => e.event === 'producer-restart'),
      [{ event: 'producer-restart', topic: 't', producerId: 'a', runId: null, previousRunId: null, lastValue: 5, firstValue: 1 }],
    );
    assert.equal(tracker.summary().duplicates, 0);
  });

  it('publishers that give only a run id stand apart, one producer per run', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 30, { producerId: undefined, runId: 'r1' }), counting(1, 30, { producerId: undefined, runId: 'r2' }), counting(1, 30, { producerId: undefined, runId: 'r3' }, [4, 5, 6])).flatMap(
      (d) => tracker.accept(d),
    );
    assert.deepEqual(
      events.filter((e) => e.event !== 'message'),
      [{ event: 'gap', topic: 't', producerId: null, from: 4, to: 6, missing: 3, cause: 'not-received' }],
    );
    assert.equal(tracker.summary().topics.length, 3);
  });

  it('the same producer on two topics keeps two sequences', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3], { topic: 'x' });
    const events = feed(tracker, [1, 2], { topic: 'y' });
    assert.deepEqual(kinds(events), ['message', 'message']);
    assert.deepEqual(
      tracker.summary().topics.map((row) => [row.topic, row.producerId, row.highest]),
      [
        ['x', 'p1', 3],
        ['y', 'p1', 2],
      ],
    );
  });

  it('a checkpoint keeps each producer apart: each resumes where it was', () => {
    const first = new SequenceTracker();
    interleave(counting(1, 10, { producerId: 'a' }), counting(1, 4, { producerId: 'b' })).forEach((d) => first.accept(d));
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<SequenceTracker['snapshot']>;
    assert.equal(snapshot.version, 2);
    const second = new SequenceTracker();
    second.restore(snapshot);
    const events = [...second.accept(delivery(5, { producerId: 'b' })), ...second.accept(delivery(13, { producerId: 'a' }))];
    assert.deepEqual(
      events.filter((e) => e.event === 'resume'),
      [
        { event: 'resume', topic: 't', producerId: 'b', lastValue: 4, firstValue: 5, missed: 0 },
        { event: 'resume', topic: 't', producerId: 'a', lastValue: 10, firstValue: 13, missed: 2 },
      ],
    );
    assert.deepEqual(second.summary().missingRanges, [{ topic: 't', producerId: 'a', from: 11, to: 12 }]);
    assert.deepEqual(second.lastValues(), [
      { topic: 't', producerId: 'a', value: 13 },
      { topic: 't', producerId: 'b', value: 5 },
    ]);
  });

  it('memory grows with the producers and the gaps, not with the values', () => {
    const tracker = new SequenceTracker();
    const streams = Array.from({ length: 50 }, (_, p) => counting(1, 2000, { producerId: `p${p}` }));
    for (const d of interleave(...streams)) tracker.accept(d);
    const summary = tracker.summary();
    assert.equal(summary.topics.length, 50);
    assert.ok(summary.topics.every((row) => row.segments.length === 1));
    assert.equal(summary.unique, 100_000);
  });

  it('counts what waited in the queue per producer, with its longest wait', () => {
    const tracker = new SequenceTracker();
    tracker.accept(delivery(1, { producerId: 'a', sentAt: 0, receivedAt: 10 }));
    tracker.accept(delivery(2, { producerId: 'a', sentAt: 0, receivedAt: 5000, queued: true }));
    tracker.accept(delivery(3, { producerId: 'a', sentAt: 1000, receivedAt: 5000, queued: true }));
    tracker.accept(delivery(1, { producerId: 'b', sentAt: 0, receivedAt: 7000 }));
    assert.deepEqual(
      tracker.summary().topics.map((row) => [row.producerId, row.queued, row.longestQueuedWaitMs]),
      [
        ['a', 2, 5000],
        ['b', 0, null],
      ],
    );
  });
});

describe('publishers that do not identify themselves', () => {
  it('one unnamed publisher is judged as before: its gap is reported once its first 20 values show it is alone', () => {
    const tracker = new SequenceTracker();
    const early = feed(tracker, [1, 2, 3, 7, 8, 9, 10], unnamed);
    assert.deepEqual(early.filter((e) => e.event === 'gap'), [], 'held while on probation');
    assert.equal(tracker.summary().missing, 3, 'but counted');
    const later = feed(tracker, range(11, 30), unnamed);
    assert.deepEqual(later.filter((e) => e.event === 'gap'), [{ event: 'gap', topic: 't', producerId: null, from: 4, to: 6, missing: 3, cause: 'not-received' }]);
    assert.equal(later.findIndex((e) => e.event === 'gap'), 20 - 7, 'said right after the 20th value (its message comes first)');
    const afterwards = feed(tracker, [35], unnamed);
    assert.equal(afterwards[0]?.event, 'gap', 'after the probation, at once');
  });

  it('a consumer that stops while a gap is on probation says it then: nothing counted missing goes unreported', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3, 7, 8], unnamed);
    assert.equal(tracker.summary().missing, 3);
    assert.deepEqual(tracker.settle(), [{ event: 'gap', topic: 't', producerId: null, from: 4, to: 6, missing: 3, cause: 'not-received' }]);
    assert.deepEqual(tracker.settle(), [], 'said once');
    assert.deepEqual(feed(tracker, [9]).filter((e) => e.event === 'gap'), [], 'and not again later');
  });

  it('a held gap partly filled by a late value is said as it still stands; a restart says it before the new run', () => {
    const tracker = new SequenceTracker();
    const first = feed(tracker, [1, 5, 3, ...range(6, 10), 1], unnamed);
    assert.deepEqual([...new Set(kinds(first))], ['message'], 'all held while on probation');
    const events = feed(tracker, range(2, 12), unnamed);
    assert.deepEqual(
      events.filter((e) => e.event === 'gap' || e.event === 'producer-restart').map((e) => [e.event, e.event === 'gap' ? `${e.from}-${e.to}` : '']),
      [
        ['gap', '2-2'],
        ['gap', '4-4'],
        ['producer-restart', ''],
      ],
    );
  });

  it('one unnamed publisher whose values are redelivered after a reconnect is not taken for several', () => {
    const tracker = new SequenceTracker();
    const values = [...counting(1, 100, unnamed), ...counting(95, 200, unnamed), ...counting(190, 300, unnamed)].map((d) => d.value);
    const events = feed(tracker, values, unnamed);
    assert.equal(events.filter((e) => e.event === 'shared-topic').length, 0);
    assert.equal(tracker.summary().duplicates, 17);
  });

  it('one counting from 1 and another from 101: said to share the topic, no loss claimed', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 300, unnamed), counting(101, 400, unnamed)).flatMap((d) => tracker.accept(d));
    const shared = events.filter((e) => e.event === 'shared-topic');
    assert.equal(shared.length, 1, 'said once');
    assert.deepEqual(shared[0], { event: 'shared-topic', topic: 't', received: 9, stepsBack: 4, withdrawn: { missing: 95, duplicates: 0, restarts: 0 } });
    const summary = tracker.summary();
    assert.equal(summary.missing, 0, 'the early gap of 2-100 is withdrawn');
    assert.deepEqual(summary.missingRanges, []);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.unjudged, 600);
    assert.equal(summary.received, 600);
    assert.equal(summary.topics[0]?.shared, true);
    assert.deepEqual(summary.topics[0]?.segments, [], 'nothing kept per value for a shared topic');
  });

  it('two counting from 1: no false duplicates', () => {
    const tracker = new SequenceTracker();
    const events = interleave(counting(1, 300, unnamed), counting(1, 300, unnamed)).flatMap((d) => tracker.accept(d));
    assert.equal(events.filter((e) => e.event === 'shared-topic').length, 1);
    const summary = tracker.summary();
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.restarts, 0);
    assert.equal(summary.missing, 0);
  });

  it('a topic found shared stays shared after a restore, and other topics are still judged', () => {
    const tracker = new SequenceTracker();
    interleave(counting(1, 20, unnamed), counting(1, 20, unnamed)).forEach((d) => tracker.accept(d));
    feed(tracker, [1, 2, 5], { topic: 'other' });
    const second = new SequenceTracker();
    second.restore(JSON.parse(JSON.stringify(tracker.snapshot())) as ReturnType<SequenceTracker['snapshot']>);
    const events = feed(second, [3, 50], unnamed);
    assert.deepEqual(kinds(events), ['message', 'message'], 'no resume, no gap on a shared topic');
    assert.equal(second.summary().missing, 2, 'the other topic keeps its gap');
    assert.equal(second.summary().unjudged, 42);
  });

  it('the producer id may come in the payload: "id:value"', () => {
    assert.deepEqual(parseValue('sensor-1:42'), { value: 42, producerId: 'sensor-1' });
    assert.deepEqual(parseValue('a/b:0\n'), { value: 0, producerId: 'a/b' });
    assert.ok('error' in parseValue(':5'), 'an empty id');
    assert.ok('error' in parseValue('a b:5'), 'an id with a space');
    assert.ok('error' in parseValue('a:-5'));
    assert.ok('error' in parseValue('a:5:6'));
    assert.ok('error' in parseValue(`${'x'.repeat(65)}:5`), 'an id longer than 64 characters');
  });
});

describe('a member of a consumer group', () => {
  const member = (): SequenceTracker => new SequenceTracker({ groupMember: true });

  it('never reports as missing the values the group gave another member', () => {
    const tracker = member();
    const events = feed(tracker, [2, 4, 6, 8, 10, 11, 12, 20]);
    assert.deepEqual([...new Set(kinds(events))], ['message']);
    const summary = tracker.summary();
    assert.equal(summary.missing, 0);
    assert.equal(summary.unique, 8);
    assert.deepEqual(summary.topics[0]?.segments, [
      { kind: 'live', from: 2, to: 2 },
      { kind: 'live', from: 4, to: 4 },
      { kind: 'live', from: 6, to: 6 },
      { kind: 'live', from: 8, to: 8 },
      { kind: 'live', from: 10, to: 12 },
      { kind: 'live', from: 20, to: 20 },
    ]);
  });

  it('a late value takes its place in the record, joining its neighbours', () => {
    const tracker = member();
    feed(tracker, [3, 5, 9]);
    const events = feed(tracker, [4, 1]);
    assert.deepEqual(
      events.map((e) => e.event === 'message' && [e.value, e.outOfOrder, e.duplicate]),
      [
        [4, true, false],
        [1, true, false],
      ],
    );
    assert.deepEqual(tracker.summary().topics[0]?.segments, [
      { kind: 'live', from: 1, to: 1 },
      { kind: 'live', from: 3, to: 5 },
      { kind: 'live', from: 9, to: 9 },
    ]);
    assert.equal(tracker.summary().topics[0]?.first, 1);
    assert.equal(feed(tracker, [4]).filter((e) => e.event === 'message' && e.duplicate).length, 1, 'a value it had is a duplicate');
  });

  it('after a restore it resumes without claiming what it missed', () => {
    const tracker = member();
    feed(tracker, [1, 3]);
    const second = member();
    second.restore(tracker.snapshot());
    const events = feed(second, [9]);
    assert.deepEqual(events[0], { event: 'resume', topic: 't', producerId: 'p1', lastValue: 3, firstValue: 9, missed: 0 });
    assert.equal(second.summary().missing, 0);
  });

  it('a producer without run ids starting again at 1 is a restart only when this member had its 1', () => {
    const tracker = member();
    const noRun: Partial<Delivery> = { runId: undefined };
    feed(tracker, [2, 4, 6], noRun);
    assert.equal(feed(tracker, [1], noRun)[0]?.event, 'message', 'value 1 went to another member first: it is late, not a restart');
    assert.equal(feed(tracker, [1], noRun)[0]?.event, 'producer-restart');
  });
});

describe('retained values', () => {
  const retained = (value: number, extra: Partial<Delivery> = {}): Delivery => delivery(value, { retained: true, ...extra });

  it('the retained copy handed again at every subscribe is marked, and is neither a duplicate nor a step back', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [1, 2, 3]);
    const events = [...tracker.accept(retained(3)), ...tracker.accept(retained(3)), ...feed(tracker, [4])];
    assert.deepEqual(
      events.map((e) => e.event === 'message' && [e.value, e.retained, e.duplicate, e.outOfOrder]),
      [[3, true, false, false], [3, true, false, false], [4, false, false, false]],
    );
    const summary = tracker.summary();
    assert.equal(summary.retained, 2);
    assert.equal(summary.duplicates, 0);
    assert.equal(summary.received, 4, 'received counts the deliveries of the sequence');
    assert.equal(summary.unique, 4);
    assert.deepEqual(summary.topics[0]?.segments, [{ kind: 'live', from: 1, to: 4 }]);
  });

  it('a retained value older or newer than the sequence makes no gap, no late value and no new run', () => {
    const tracker = new SequenceTracker();
    feed(tracker, [10, 11]);
    const events = [...tracker.accept(retained(5)), ...tracker.accept(retained(1, { runId: 'run-z' })), ...tracker.accept(retained(40))];
    assert.deepEqual(kinds(events), ['message', 'message', 'message']);
    feed(tracker, [12]);
    const summary = tracker.summary();
    assert.deepEqual([summary.missing, summary.outOfOrder, summary.restarts, summary.duplicates, summary.retained], [0, 0, 0, 0, 3]);
    assert.equal(summary.topics[0]?.highest, 12);
  });

  it('a retained value seen first does not start the sequence: the first delivery after it does, without a gap', () => {
    const tracker = new SequenceTracker();
    tracker.accept(retained(5));
    const events = feed(tracker, [8, 9]);
    assert.deepEqual(kinds(events), ['message', 'message']);
    assert.deepEqual([tracker.summary().topics[0]?.first, tracker.summary().missing], [8, 0]);
  });

  it('after a restart the retained copy neither takes the resume nor waits in the broker', () => {
    const first = new SequenceTracker();
    feed(first, [1, 2, 3]);
    first.accept(retained(3));
    const second = new SequenceTracker();
    second.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<SequenceTracker['snapshot']>);
    const copy = second.accept(retained(3, { sentAt: 0, receivedAt: 3_600_000 }));
    assert.deepEqual(kinds(copy), ['message']);
    const events = feed(second, [4]);
    assert.deepEqual(events[0], { event: 'resume', topic: 't', producerId: 'p1', lastValue: 3, firstValue: 4, missed: 0 });
    const summary = second.summary();
    assert.deepEqual([summary.retained, summary.duplicates, summary.longestWaitMs], [2, 0, null]);
  });

  it('a retained copy among unnamed publishers is no step back that would make the topic look shared', () => {
    const tracker = new SequenceTracker();
    const events: TrackerEvent[] = [];
    for (let value = 1; value <= 30; value++) {
      events.push(...tracker.accept(delivery(value, { producerId: undefined, runId: undefined })));
      events.push(...tracker.accept(retained(1, { producerId: undefined, runId: undefined })));
    }
    assert.equal(events.filter((e) => e.event === 'shared-topic').length, 0);
    assert.deepEqual([tracker.summary().unjudged, tracker.summary().retained, tracker.summary().duplicates], [0, 30, 0]);
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

  it('names a failover when the session resumed on another node of a cluster, even after a silent close', () => {
    assert.equal(diagnoseGap(1, { ...base, movedNode: true }), 'failover');
    assert.equal(diagnoseGap(1, { ...base, movedNode: true, takeoverSuspected: true }), 'failover', 'a dead node closes without a word too');
    assert.equal(diagnoseGap(1, { ...base, movedNode: true, queuedOnReturn: 5, queueLimit: 5 }), 'queue-limit', 'evidence of the queue limit comes first');
    assert.equal(diagnoseGap(1, { ...base, movedNode: true, sessionPresent: false }), 'session-lost', 'no session on the new node');
    assert.equal(diagnoseGap(1, { ...base, movedNode: true, afterReturn: false }), 'not-received');
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
