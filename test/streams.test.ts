/**
 * An application's own stream, verified: Python paho publishing JSON readings from two devices (or the
 * same numbers as MQTT 5 user properties) to a real Mosquitto, the consumer told where the sequence
 * number and the device are.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, type JsonEvent } from './support/cli.js';
import { mosquittoEndMarker, mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { pahoPublish, pahoSkip, type PahoMessage } from './support/paho.js';

/** d1 sends 1..12 without 4, 5 and 9; d2 sends 1..10 without 7; interleaved as two devices would. */
const d1 = [1, 2, 3, 6, 7, 8, 10, 11, 12];
const d2 = [1, 2, 3, 4, 5, 6, 8, 9, 10];

function readings(toPayload: (device: string, seq: number) => PahoMessage): PahoMessage[] {
  const messages: PahoMessage[] = [];
  for (let i = 0; i < Math.max(d1.length, d2.length); i++) {
    if (i < d1.length) messages.push(toPayload('d1', d1[i]!));
    if (i < d2.length) messages.push(toPayload('d2', d2[i]!));
  }
  return messages;
}

const json = (device: string, seq: number): PahoMessage => ({ topic: `sensors/${device}`, payload: JSON.stringify({ seq, device, temp: 21.5 }) });

const gapsOf = (consumer: CliProcess): unknown[] => consumer.eventsOf('gap').map((gap: JsonEvent) => [gap.topic, gap.producerId, gap.from, gap.to]);

describe("an application's stream from Python paho, against Mosquitto", { skip: mosquittoSkip() || pahoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-streams-');

  const consumer = (id: string, extra: string[]): CliProcess =>
    CliProcess.consumer(['--url', mosquitto.broker.url, '-i', id, '-t', 'sensors/#', '--state', join(mosquitto.dir, `${id}.json`), ...extra]);

  /** After paho's last message, an end marker: once the consumer has it, everything before has arrived. */
  async function endAndStop(witness: CliProcess, seen: () => boolean): Promise<number | null> {
    mosquittoEndMarker(mosquitto.broker.port, 'sensors/end');
    await witness.waitUntil('the end marker', seen);
    return (await witness.interrupt()).code;
  }

  it('JSON readings from two devices: exactly the numbers each device skipped are its gaps; a bad path and a fraction are counted', async () => {
    const witness = consumer('json-witness', ['--value-field', 'seq', '--producer-field', 'device', '--json']);
    await witness.waitForEvent('subscribed');
    pahoPublish(mosquitto.broker.port, [
      ...readings(json),
      { topic: 'sensors/d1', payload: '{"device": "d1", "temp": 20}' },
      { topic: 'sensors/d2', payload: '{"seq": 10.5, "device": "d2"}' },
    ]);
    const exit = await endAndStop(witness, () => witness.eventsOf('invalid').some((event) => event.payload === 'end-marker'));
    assert.deepEqual(gapsOf(witness), [
      ['sensors/d1', 'd1', 4, 5],
      ['sensors/d1', 'd1', 9, 9],
      ['sensors/d2', 'd2', 7, 7],
    ]);
    const summary = witness.eventsOf('summary').at(-1)!;
    assert.equal(summary.received, d1.length + d2.length);
    assert.equal(summary.missing, 4);
    assert.deepEqual(summary.badPaths, { count: 2, example: { topic: 'sensors/d1', role: 'value', source: 'field', name: 'seq', found: null } });
    assert.deepEqual(summary.nonIntegers, { count: 1, example: { topic: 'sensors/d2', role: 'value', source: 'field', name: 'seq', found: '10.5' } });
    const rows = (summary.topics as Array<{ topic: string; producerId: string; first: number; highest: number; unique: number; missing: number }>).map((r) => [r.topic, r.producerId, r.first, r.highest, r.unique, r.missing]);
    assert.deepEqual(rows.sort(), [
      ['sensors/d1', 'd1', 1, 12, 9, 3],
      ['sensors/d2', 'd2', 1, 10, 9, 1],
    ]);
    assert.equal(exit, 3, 'values are missing');

    // The checkpoint keeps the counts, and the report of its record says them.
    const report = CliProcess.report([join(mosquitto.dir, 'json-witness.json')]);
    assert.equal((await report.exitWithin(30_000)).code, 3, report.stderr);
    assert.ok(report.lines.includes('Bad path: 2 messages without a value at the path given (the first on sensors/d1: --value-field seq, nothing there)'), report.stdout);
    assert.ok(report.lines.includes('Not an integer: 1 value that is no whole number from 0 (the first on sensors/d2: --value-field seq held "10.5")'), report.stdout);
  });

  it('the same readings in MQTT 5 user properties, in words: each value line names its topic under the wildcard', async () => {
    const witness = consumer('property-witness', ['--value-property', 'seq', '--producer-property', 'device']);
    await witness.waitUntil('the subscription', () => witness.lines.some((line) => line.startsWith('Subscribed to')));
    pahoPublish(
      mosquitto.broker.port,
      readings((device, seq) => ({ topic: `sensors/${device}`, payload: `${device} reading`, properties: [['seq', String(seq)], ['device', device]] })),
    );
    const exit = await endAndStop(witness, () => witness.lines.some((line) => line.includes('"end-marker"')));
    const values = witness.lines.filter((line) => line.startsWith('Received message:'));
    assert.equal(values[0], 'Received message: 1 on sensors/d1');
    assert.ok(values.includes('Received message: 8 on sensors/d2 from d2'), values.join('\n'));
    const gaps = witness.lines.filter((line) => line.startsWith('GAP:'));
    const cause = 'the broker never delivered them while connected: not published, or lost before reaching the broker';
    assert.deepEqual(gaps, [
      `GAP: 4-5 missing (2 values) on sensors/d1 from d1: ${cause}`,
      `GAP: 9 missing (1 value) on sensors/d1 from d1: ${cause}`,
      `GAP: 7 missing (1 value) on sensors/d2 from d2: ${cause}`,
    ]);
    assert.ok(witness.lines.includes("Ignored a message on sensors/end: no value at --value-property seq: \"end-marker\" (the next ones are counted in the summary)"), witness.stdout);
    assert.equal(exit, 3);
  });

  it('without --value-field nothing can be checked: one line says why, and the exit status is 5', async () => {
    const witness = consumer('unguided-witness', []);
    await witness.waitUntil('the subscription', () => witness.lines.some((line) => line.startsWith('Subscribed to')));
    pahoPublish(mosquitto.broker.port, readings(json));
    const exit = await endAndStop(witness, () => witness.lines.some((line) => line.includes('"end-marker"')));
    const messages = d1.length + d2.length + 1;
    assert.ok(
      witness.lines.includes(
        `NOTHING VERIFIED: ${messages} messages, none with a value to check (${messages} not a counter value): see --value-field (a field of a JSON payload) or --value-property (an MQTT 5 user property)`,
      ),
      witness.stdout,
    );
    assert.equal(exit, 5);
  });

  it('values without a send time that arrive in a resumed session are not called live: whether they waited is not known', async () => {
    const first = consumer('returning', ['--value-field', 'seq', '--producer-field', 'device', '--json']);
    await first.waitForEvent('subscribed');
    pahoPublish(mosquitto.broker.port, [json('d1', 1), json('d1', 2)]);
    await first.waitUntil('two values', () => first.eventsOf('message').length === 2);
    assert.deepEqual((await first.interrupt()).code, 0);
    pahoPublish(mosquitto.broker.port, [json('d1', 3), json('d1', 4)]);
    const back = consumer('returning', ['--value-field', 'seq', '--producer-field', 'device']);
    await back.waitUntil('the values sent while away', () => back.lines.some((line) => line.startsWith('Received message: 4')));
    pahoPublish(mosquitto.broker.port, [json('d1', 5)]);
    const exit = await endAndStop(back, () => back.lines.some((line) => line.includes('"end-marker"')));
    assert.ok(back.lines.includes('  [##???]'), back.stdout);
    assert.ok(back.lines.some((line) => line.includes('? received on return, live or from the queue: not known')), back.stdout);
    assert.equal(exit, 0);
  });
});

describe('where to read values, given wrongly', () => {
  it('an empty step in a dot path, a property on MQTT 3.1.1, or both a field and a property for the value: one line, exit 2', async () => {
    for (const [args, line] of [
      [['--value-field', 'reading..seq'], "consumer: --value-field 'reading..seq' is not a dot path: each name between dots must be non-empty (e.g. seq, or reading.seq)"],
      [['--value-property', 'seq', '-V', '4'], 'consumer: user properties are MQTT 5: --value-property and --producer-property need -V 5'],
      [['--value-field', 'seq', '--value-property', 'seq'], "consumer: option '--value-field <path>' cannot be used with option '--value-property <name>'"],
    ] as const) {
      const consumer = CliProcess.consumer(['--url', 'mqtt://127.0.0.1:1', '--no-state', ...args]);
      assert.equal((await consumer.exitWithin(30_000)).code, 2, consumer.stderr);
      assert.equal(consumer.stderr.trim(), line);
    }
  });
});
