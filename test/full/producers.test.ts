/**
 * Several producers on one topic, against a real Mosquitto: each producer is its own sequence, a
 * restart is that producer's, and publishers that do not identify themselves are never judged as one.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, messageValues, type JsonEvent } from '../support/cli.js';
import { mosquittoEndMarker, mosquittoPub, mosquittoSkip, withMosquitto } from '../support/mosquitto.js';

function range(from: number, to: number, skip: number[] = []): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i).filter((value) => !skip.includes(value));
}

const gapsOf = (consumer: CliProcess): Array<[unknown, unknown, unknown]> => consumer.eventsOf('gap').map((gap: JsonEvent) => [gap.producerId, gap.from, gap.to]);

describe('several producers on one topic, against Mosquitto', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-producers-');

  const consumer = (topic: string, extra: string[] = []): CliProcess =>
    CliProcess.consumer(['--url', mosquitto.broker.url, '-i', `witness-${topic}`, '-t', topic, '--state', join(mosquitto.dir, `${topic}.json`), '--json', ...extra]);

  /**
   * Waits until the consumer has received this many messages, then for an end marker published after them
   * (nothing sent before it can still be on its way), and stops the consumer.
   */
  async function receiveAndStop(consumer: CliProcess, topic: string, count: number, version: 'mqttv5' | 'mqttv311' = 'mqttv5'): Promise<number | null> {
    await consumer.waitUntil(`${count} messages`, () => consumer.eventsOf('message').length >= count, 30_000);
    mosquittoEndMarker(mosquitto.broker.port, topic, version);
    await consumer.waitForEvent('invalid');
    return (await consumer.interrupt()).code;
  }

  it('two producers interleaving under MQTT 5: no restart, no gap, one sequence each', async () => {
    const witness = consumer('two');
    await witness.waitForEvent('subscribed');
    const producers = ['sensor-a', 'sensor-b'].map((id) => CliProcess.producer(['--url', mosquitto.broker.url, '-i', id, '-t', 'two', '--interval', '5', '-C', '300']));
    for (const producer of producers) assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    const exit = await receiveAndStop(witness, 'two', 600);
    assert.deepEqual(witness.eventsOf('producer-restart'), []);
    assert.deepEqual(witness.eventsOf('gap'), []);
    assert.deepEqual(witness.eventsOf('shared-topic'), []);
    const values = witness.eventsOf('message');
    const switches = values.filter((event, i) => i > 0 && event.producerId !== values[i - 1]!.producerId).length;
    assert.ok(switches >= 50, `the two producers interleaved (${switches} switches between them)`);
    const summary = witness.eventsOf('summary').at(-1)!;
    assert.equal(summary.missing, 0);
    assert.equal(summary.duplicates, 0);
    const rows = (summary.topics as Array<{ producerId: string; first: number; highest: number; unique: number }>).map((row) => [row.producerId, row.first, row.highest, row.unique]);
    assert.deepEqual(rows.sort(), [
      ['sensor-a', 1, 300, 300],
      ['sensor-b', 1, 300, 300],
    ]);
    assert.equal(exit, 0);
  });

  it('three publishers: exactly the values one of them skipped are reported missing, for that publisher', async () => {
    const witness = consumer('three');
    await witness.waitForEvent('subscribed');
    const producers = ['sensor-a', 'sensor-b'].map((id) => CliProcess.producer(['--url', mosquitto.broker.url, '-i', id, '-t', 'three', '--interval', '5', '-C', '200']));
    await producers[0]!.waitUntil('the first values', () => producers[0]!.lines.length > 20);
    // The third names itself and its run as the producer does, and skips 7, 8 and 20.
    mosquittoPub(mosquitto.broker.port, 'three', range(1, 30, [7, 8, 20]), { 'producer-id': 'by-hand', 'run-id': 'by-hand-1' });
    for (const producer of producers) assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    const exit = await receiveAndStop(witness, 'three', 400 + 27);
    assert.deepEqual(gapsOf(witness), [
      ['by-hand', 7, 8],
      ['by-hand', 20, 20],
    ]);
    assert.deepEqual(witness.eventsOf('producer-restart'), []);
    const summary = witness.eventsOf('summary').at(-1)!;
    assert.equal(summary.missing, 3);
    assert.deepEqual(summary.missingRanges, [
      { topic: 'three', producerId: 'by-hand', from: 7, to: 8 },
      { topic: 'three', producerId: 'by-hand', from: 20, to: 20 },
    ]);
    assert.equal(exit, 3, 'values are missing: exit 3');
  });

  it("a real restart of one producer while another runs is that producer's restart, and nothing else", async () => {
    const witness = consumer('restart');
    await witness.waitForEvent('subscribed');
    const steady = CliProcess.producer(['--url', mosquitto.broker.url, '-i', 'steady', '-t', 'restart', '--interval', '10', '--json']);
    const first = CliProcess.producer(['--url', mosquitto.broker.url, '-i', 'restarted', '-t', 'restart', '--interval', '10', '--json']);
    await first.waitUntil('40 values', () => first.eventsOf('sent').length >= 40);
    assert.equal((await first.interrupt()).code, 0);
    const sentBefore = first.eventsOf('sent').length;
    const second = CliProcess.producer(['--url', mosquitto.broker.url, '-i', 'restarted', '-t', 'restart', '--interval', '10', '-C', '30', '--json']);
    assert.equal((await second.exitWithin(20_000)).code, 0, second.stderr);
    assert.equal((await steady.interrupt()).code, 0);
    const total = sentBefore + 30 + steady.eventsOf('sent').length;
    const exit = await receiveAndStop(witness, 'restart', total);
    const restarts = witness.eventsOf('producer-restart');
    assert.equal(restarts.length, 1, JSON.stringify(restarts));
    assert.equal(restarts[0]!.producerId, 'restarted');
    assert.equal(restarts[0]!.lastValue, sentBefore);
    assert.equal(restarts[0]!.firstValue, 1);
    assert.notEqual(restarts[0]!.runId, restarts[0]!.previousRunId);
    assert.deepEqual(witness.eventsOf('gap'), []);
    assert.equal(witness.eventsOf('summary').at(-1)!.duplicates, 0);
    assert.equal(exit, 0);
  });

  it('MQTT 3.1.1 without ids, one counting from 1 and one from 101: said to share the topic, no loss claimed, no exit 3', async () => {
    const witness = consumer('unnamed', ['-V', '4']);
    await witness.waitForEvent('subscribed');
    const producers = ['1', '101'].map((start) => CliProcess.producer(['--url', mosquitto.broker.url, '-V', '4', '-t', 'unnamed', '--interval', '5', '--start', start, '-C', '300']));
    for (const producer of producers) assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    const exit = await receiveAndStop(witness, 'unnamed', 600, 'mqttv311');
    assert.equal(witness.eventsOf('shared-topic').length, 1);
    assert.match(witness.stdout, /"event":"shared-topic","topic":"unnamed"/);
    const summary = witness.eventsOf('summary').at(-1)!;
    assert.equal(summary.missing, 0, 'no false loss');
    assert.equal(summary.duplicates, 0, 'no false duplicates');
    assert.equal(summary.unjudged, 600);
    // A gap is said only while one publisher seemed alone (its first values are on probation; a second
    // one starting later looks like a jump at first): once the sharing shows, never again.
    const events = witness.events;
    const sharedAt = events.findIndex((event) => event.event === 'shared-topic');
    assert.deepEqual(events.slice(sharedAt).filter((event) => event.event === 'gap' || event.event === 'producer-restart'), []);
    assert.equal(exit, 0);
  });

  it('MQTT 3.1.1 with the producer id in the payload: exact again', async () => {
    const witness = consumer('payload', ['-V', '4']);
    await witness.waitForEvent('subscribed');
    const producers = ['p-1', 'p-2'].map((id) => CliProcess.producer(['--url', mosquitto.broker.url, '-V', '4', '-i', id, '--id-in-payload', '-t', 'payload', '--interval', '5', '-C', '200']));
    for (const producer of producers) assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    mosquittoPub(mosquitto.broker.port, 'payload', range(1, 30, [4]), {}, 'mqttv311');
    const exit = await receiveAndStop(witness, 'payload', 429, 'mqttv311');
    assert.deepEqual(witness.eventsOf('shared-topic'), []);
    assert.deepEqual(witness.eventsOf('producer-restart'), []);
    assert.deepEqual(gapsOf(witness), [[null, 4, 4]], 'the bare numbers of a third, unnamed publisher still form their own sequence');
    const rows = (witness.eventsOf('summary').at(-1)!.topics as Array<{ producerId: string | null; unique: number }>).map((row) => [row.producerId, row.unique]);
    assert.deepEqual(rows.sort(), [
      ['p-1', 200],
      ['p-2', 200],
      [null, 29],
    ].sort());
    assert.equal(exit, 3);
    assert.equal(messageValues(witness.events).length, 429, 'each value once, nothing more');
  });
});
