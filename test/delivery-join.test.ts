/**
 * The producer's record joined with the consumers': the rules on records made by hand, then the tutorial's
 * open question answered against a real Mosquitto: what happened after the consumer left.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptyCounts, type Segment, type TopicSummary } from '../src/core/accounting.js';
import { addValue, joinRecords, runMismatches, subtract, unionOf, type ProducerRecord, type ValueRange } from '../src/core/delivery-join.js';
import type { MemberDeparture, MemberRecord } from '../src/core/group.js';
import { CliProcess } from './support/cli.js';
import { mosquittoSkip, withMosquitto } from './support/mosquitto.js';

describe('value ranges', () => {
  it('adds values in any order, joining neighbours, ignoring repeats', () => {
    const ranges: ValueRange[] = [];
    for (const value of [1, 2, 5, 3, 9, 7, 8, 2, 0]) addValue(ranges, value);
    assert.deepEqual(ranges, [
      { from: 0, to: 3 },
      { from: 5, to: 5 },
      { from: 7, to: 9 },
    ]);
    addValue(ranges, 4);
    assert.deepEqual(ranges, [
      { from: 0, to: 5 },
      { from: 7, to: 9 },
    ]);
  });

  it('subtracts and unites', () => {
    assert.deepEqual(subtract([{ from: 1, to: 20 }], [{ from: 3, to: 4 }, { from: 10, to: 25 }]), [
      { from: 1, to: 2 },
      { from: 5, to: 9 },
    ]);
    assert.deepEqual(subtract([{ from: 1, to: 3 }, { from: 7, to: 9 }], []), [
      { from: 1, to: 3 },
      { from: 7, to: 9 },
    ]);
    assert.deepEqual(subtract([{ from: 5, to: 6 }], [{ from: 1, to: 10 }]), []);
    assert.deepEqual(unionOf([{ from: 5, to: 8 }, { from: 1, to: 3 }, { from: 4, to: 4 }, { from: 7, to: 12 }]), [{ from: 1, to: 12 }]);
  });
});

const leftAt = Date.parse('2026-11-30T01:00:00Z');
const clean: MemberDeparture = { persistentSession: false, sessionExpiry: 0, at: leftAt };
const kept: MemberDeparture = { persistentSession: true, sessionExpiry: 3600, at: leftAt };

function consumer(member: string, values: number[], departure: MemberDeparture, extra: Partial<TopicSummary> = {}): MemberRecord {
  const segments: Segment[] = [];
  for (const value of [...values].sort((a, b) => a - b)) {
    const last = segments.at(-1);
    if (last && last.to === value - 1) last.to = value;
    else segments.push({ kind: 'live', from: value, to: value });
  }
  const row: TopicSummary = { ...emptyCounts(), topic: 't', producerId: 'p', runId: 'r', first: values[0]!, highest: Math.max(...values), received: values.length, unique: values.length, shared: false, segments, ...extra };
  return { member, group: null, topics: [row], departure };
}

const producer = (acknowledged: ValueRange[] | null): ProducerRecord => ({ source: 'p.jsonl', topic: 't', producerId: 'p', runId: 'r', acknowledged });

describe('joining the producer and the consumers', () => {
  it("a consumer with a clean session that left early: the producer's tail after its last value is lost, exactly", () => {
    const report = joinRecords([producer([{ from: 1, to: 100 }])], [consumer('c', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], clean)], leftAt + 1000);
    assert.deepEqual(report.producers[0]!.lostRanges, [{ from: 11, to: 100 }]);
    assert.deepEqual([report.lost, report.waiting, report.producers[0]!.delivered], [90, 0, 10]);
  });

  it('with its session kept, the tail waits for it instead; once expired, it is lost', () => {
    const records = [consumer('c', [1, 2, 3, 5], kept)];
    const waiting = joinRecords([producer([{ from: 1, to: 8 }])], records, leftAt + 1000);
    assert.deepEqual(waiting.producers[0]!.lostRanges, [{ from: 4, to: 4 }], 'before its last value: handed to it in order, so gone');
    assert.deepEqual(waiting.producers[0]!.waitingRanges, [{ from: 6, to: 8, members: ['c'] }]);
    const expired = joinRecords([producer([{ from: 1, to: 8 }])], records, leftAt + 3_601_000);
    assert.deepEqual([expired.lost, expired.waiting], [4, 0]);
  });

  it('a group: values are lost only when no member has them; two members with one value, and redeliveries, are counted', () => {
    const a = consumer('a', [1, 3, 5, 6], clean, { duplicates: 2 });
    const b = consumer('b', [2, 6, 7], clean);
    const report = joinRecords([producer([{ from: 1, to: 9 }])], [a, b], leftAt);
    const p = report.producers[0]!;
    assert.deepEqual(p.lostRanges, [
      { from: 4, to: 4 },
      { from: 8, to: 9 },
    ]);
    assert.deepEqual([p.delivered, p.duplicates, p.deliveredTwice, p.twiceRanges], [6, 2, 1, [{ from: 6, to: 6 }]]);
    assert.deepEqual(p.consumers, ['a', 'b']);
  });

  it('delivered and never acknowledged is information; at QoS 0 nothing is acknowledged, so nothing is lost', () => {
    const delivered = consumer('c', [1, 2, 3, 4, 5], clean);
    const stoppedEarly = joinRecords([producer([{ from: 1, to: 3 }])], [delivered], leftAt);
    assert.deepEqual([stoppedEarly.lost, stoppedEarly.producers[0]!.unacknowledgedRanges], [0, [{ from: 4, to: 5 }]]);
    const qos0 = joinRecords([producer(null)], [delivered], leftAt);
    assert.deepEqual([qos0.lost, qos0.producers[0]!.acknowledged, qos0.producers[0]!.unacknowledged], [0, null, 5]);
  });

  it("another run of the producer in the consumers' records is a mismatch, not a loss of every value", () => {
    const records = [consumer('c', [1, 2], clean, { runId: 'other' })];
    assert.deepEqual(runMismatches([producer([{ from: 1, to: 2 }])], records).map((m) => m.runsSeen), [['other']]);
    assert.deepEqual(runMismatches([producer([{ from: 1, to: 2 }])], [consumer('c', [1], clean)]), []);
  });
});

describe('the report joins a producer with a consumer, against Mosquitto', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-join-');

  it('a consumer with a clean session leaves early while the producer goes on: its own summary sees nothing missing, the joined report names the tail lost', async () => {
    const listener = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'early-leaver', '-t', 'tail', '--clean', '--json', '--state', join(mosquitto.dir, 'early-leaver.json')]);
    await listener.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-i', 'tail-producer', '-t', 'tail', '--interval', '10', '-C', '300', '--json', '--state', join(mosquitto.dir, 'producer.json')]);
    await listener.waitUntil('20 values', () => listener.eventsOf('message').length >= 20);
    assert.equal((await listener.interrupt()).code, 0, 'the consumer itself saw no gap');
    assert.equal((await producer.exitWithin(60_000)).code, 0, producer.stderr);
    const summary = listener.eventsOf('summary').at(-1)!;
    assert.equal(summary.missing, 0);
    const last = Math.max(...listener.eventsOf('message').map((event) => event.value as number));
    assert.ok(last < 300, `the consumer left before the end (its last value ${last})`);
    writeFileSync(join(mosquitto.dir, 'producer.jsonl'), producer.stdout);
    writeFileSync(join(mosquitto.dir, 'early-leaver.jsonl'), listener.stdout);

    const report = CliProcess.report(['--producer', join(mosquitto.dir, 'producer.jsonl'), join(mosquitto.dir, 'early-leaver.jsonl')]);
    assert.equal((await report.exitWithin(30_000)).code, 3, report.stderr);
    const run = (producer.eventsOf('producer-summary')[0]!.runId as string);
    assert.deepEqual(report.lines, [
      `Producer tail-producer on tail (run ${run}): 300 values acknowledged by the broker, ${last} delivered; received by early-leaver`,
      `  acknowledged and never delivered: ${300 - last} (${last + 1}-300)`,
      '  duplicates (a value again to the consumer that had it): 0',
      `Verdict: ${300 - last} acknowledged values were never delivered to any consumer`,
    ]);

    // The same from the state files, as JSON.
    const fromState = CliProcess.report(['--producer', join(mosquitto.dir, 'producer.json'), join(mosquitto.dir, 'early-leaver.json'), '--json']);
    assert.equal((await fromState.exitWithin(30_000)).code, 3, fromState.stderr);
    const joined = JSON.parse(fromState.stdout) as { lost: number; producers: Array<{ lostRanges: ValueRange[]; acknowledged: number; delivered: number }> };
    assert.deepEqual(
      [joined.lost, joined.producers[0]!.lostRanges, joined.producers[0]!.acknowledged, joined.producers[0]!.delivered],
      [300 - last, [{ from: last + 1, to: 300 }], 300, last],
    );
  });

  it("a producer's record of another run is refused with one line (exit 2), one that is no producer's record too (exit 1)", async () => {
    const producerFile = join(mosquitto.dir, 'other-run.jsonl');
    writeFileSync(
      producerFile,
      JSON.stringify({ event: 'producer-summary', qos: 1, sent: 1, acknowledged: 1, pending: 0, lastValue: 1, topic: 'tail', producerId: 'tail-producer', runId: 'not-this', acknowledgedValues: [{ from: 1, to: 1 }] }) + '\n',
    );
    const report = CliProcess.report(['--producer', producerFile, join(mosquitto.dir, 'early-leaver.json')]);
    assert.equal((await report.exitWithin(30_000)).code, 2);
    assert.match(report.stderr, /^report: .*other-run\.jsonl is run not-this of tail-producer, but the consumers' records hold its run \w+: give the record of that run/m);
    assert.equal(report.stderr.trim().split('\n').length, 1, report.stderr);

    writeFileSync(join(mosquitto.dir, 'garbage.jsonl'), '{"event":"sent","value":1}\n');
    const garbage = CliProcess.report(['--producer', join(mosquitto.dir, 'garbage.jsonl'), join(mosquitto.dir, 'early-leaver.json')]);
    assert.equal((await garbage.exitWithin(30_000)).code, 1);
    assert.match(garbage.stderr, /garbage\.jsonl is neither a producer's state file nor its --json output with a producer-summary line/);
    assert.equal(garbage.stderr.trim().split('\n').length, 1, garbage.stderr);
  });
});
