/** The group report's rules, on records made by hand: what waits for an absent member, what is lost, what came twice. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyCounts, type Segment, type TopicSummary } from '../src/core/accounting.js';
import { mergeGroup, type MemberDeparture, type MemberRecord } from '../src/core/group.js';

const leftAt = Date.parse('2026-11-29T12:00:00Z');
const later = leftAt + 60_000;
const kept: MemberDeparture = { persistentSession: true, sessionExpiry: 3600, at: leftAt };

/** A member that received these values of producer p on topic t, live. */
function member(name: string, values: number[], departure: MemberDeparture | null = kept, extra: Partial<TopicSummary> = {}): MemberRecord {
  const segments: Segment[] = [];
  for (const value of [...values].sort((a, b) => a - b)) {
    const last = segments.at(-1);
    if (last && last.to === value - 1) last.to = value;
    else segments.push({ kind: 'live', from: value, to: value });
  }
  const row: TopicSummary = {
    ...emptyCounts(),
    topic: 't',
    producerId: 'p',
    runId: 'r',
    first: Math.min(...values),
    highest: Math.max(...values),
    received: values.length,
    unique: values.length,
    shared: false,
    segments,
    ...extra,
  };
  return { member: name, group: 'g', topics: [row], departure };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the group report', () => {
  it('values no member has, after an absent member with a kept session had its last value, are waiting for it, not missing', () => {
    const stayed = member('a', [1, 3, 5, 7, 8, 9, 10, 12, 14, 16]);
    const away = member('b', [2, 4, 6]);
    const report = mergeGroup([stayed, away], later);
    assert.equal(report.missing, 0);
    assert.equal(report.waiting, 3);
    assert.deepEqual(report.producers[0]!.waitingRanges, [
      { from: 11, to: 11, members: ['b'] },
      { from: 13, to: 13, members: ['b'] },
      { from: 15, to: 15, members: ['b'] },
    ]);
    assert.equal(report.deliveredOnce, 13);
  });

  it("a value before the absent member's last one is missing: it was handed its values in order", () => {
    const report = mergeGroup([member('a', [1, 3, 5, 7, 8, 9]), member('b', [2, 6])], later);
    assert.deepEqual(report.producers[0]!.missingRanges, [{ from: 4, to: 4 }]);
    assert.equal(report.waiting, 0);
  });

  it('a member that left with a clean session, or whose session has expired by now, holds nothing: missing', () => {
    const values = [1, 3, 5, 7];
    const clean = mergeGroup([member('a', values), member('b', [2], { persistentSession: false, sessionExpiry: 0, at: leftAt })], later);
    assert.deepEqual([clean.missing, clean.waiting, clean.expiredSessions], [2, 0, []]);
    const expired = mergeGroup([member('a', values), member('b', [2], { persistentSession: true, sessionExpiry: 30, at: leftAt })], later);
    assert.deepEqual([expired.missing, expired.waiting, expired.expiredSessions], [2, 0, ['b']]);
    const stillKept = mergeGroup([member('a', values), member('b', [2], { persistentSession: true, sessionExpiry: 30, at: leftAt })], leftAt + 29_000);
    assert.deepEqual([stillKept.missing, stillKept.waiting], [0, 2]);
    // MQTT 3.1.1 sends no expiry: the broker decides, and the session is taken as kept.
    const noExpiry = mergeGroup([member('a', values), member('b', [2], { persistentSession: true, sessionExpiry: null, at: leftAt })], later + 86_400_000);
    assert.deepEqual([noExpiry.missing, noExpiry.waiting], [0, 2]);
  });

  it('a record that does not say how its member left (an older one) has nothing waiting for it', () => {
    const report = mergeGroup([member('a', [1, 3, 5]), member('b', [2], null)], later);
    assert.deepEqual([report.missing, report.waiting], [1, 0]);
  });

  it("with two members away, a value after both their last values may wait for either; one only after the first one's", () => {
    const report = mergeGroup([member('a', [1, 2, 3, 10]), member('b', [4, 5]), member('c', [6, 8])], later);
    assert.deepEqual(report.producers[0]!.waitingRanges, [
      { from: 7, to: 7, members: ['b'] },
      { from: 9, to: 9, members: ['b', 'c'] },
    ]);
    assert.equal(report.missing, 0);
  });

  it('a member with no value of a producer gives no sign of when it left: nothing of that producer waits for it', () => {
    const other: MemberRecord = { ...member('b', [1]), topics: [{ ...member('b', [1]).topics[0]!, producerId: 'q' }] };
    const report = mergeGroup([member('a', [1, 2, 4]), other], later);
    const p = report.producers.find((row) => row.producerId === 'p')!;
    assert.deepEqual([p.missing, p.waiting], [1, 0]);
  });

  it('counts redeliveries to the member that had the value, per member and in all', () => {
    const alone = member('solo', range(1, 10), kept, { received: 13, duplicates: 3 });
    const report = mergeGroup([{ ...alone, group: null }], later);
    assert.equal(report.duplicates, 3);
    assert.equal(report.producers[0]!.members[0]!.duplicates, 3);
    assert.equal(report.deliveredOnce, 10);
    assert.equal(report.waiting, 0);
  });
});
