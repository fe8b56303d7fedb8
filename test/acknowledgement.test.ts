/**
 * Acknowledge after record: a consumer killed with SIGKILL right after receiving has acknowledged to the
 * broker nothing that its checkpoint lacks, on MQTT 5 and on 3.1.1. Whatever it had not recorded, the
 * broker still holds and delivers to the session's next connection.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { connect, connectAsync } from 'mqtt';
import { commandArgs } from '../src/cli/package.js';
import { Checkpoint } from '../src/state/checkpoint.js';
import { CliProcess } from './support/cli.js';
import { mosquittoSkip, withMosquitto } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';

/** The values a checkpoint counts as received (live or from the queue). */
function recordedValues(path: string): Set<number> {
  const saved = new Checkpoint(path).load();
  const values = new Set<number>();
  for (const topic of saved?.tracker.topics ?? []) {
    for (const segment of topic.segments) {
      if (segment.kind !== 'missing') for (let value = segment.from; value <= segment.to; value++) values.add(value);
    }
  }
  return values;
}

/** Connects as the session's owner and collects everything the broker still holds for it. */
async function heldByBroker(url: string, clientId: string, protocolVersion: 4 | 5, topic: string): Promise<Set<number>> {
  const client = connect(url, {
    clientId,
    clean: false,
    protocolVersion,
    reconnectPeriod: 0,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  });
  // Listening before the CONNACK: the broker resends what was in flight right after it.
  const values = new Set<number>();
  let marked = false;
  client.on('message', (_topic, payload) => {
    if (payload.toString() === 'end-marker') marked = true;
    else values.add(Number(payload.toString()));
  });
  await new Promise((resolve) => client.once('connect', resolve));
  await client.subscribeAsync(topic, { qos: 1 });
  // Queued behind everything the session holds: once it is in, so is all the rest.
  const marker = await connectAsync(url, { protocolVersion });
  await marker.publishAsync(topic, 'end-marker', { qos: 1 });
  await marker.endAsync();
  await waitFor('the end marker, queued behind what the broker held', () => marked, { timeoutMs: 60_000, detail: () => `${values.size} values received` });
  await client.endAsync();
  return values;
}

describe('acknowledge after record', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-ack-');

  for (const version of [5, 4] as const) {
    it(`MQTT ${version === 5 ? '5' : '3.1.1'}: killed right after receipt, nothing acknowledged is missing from the checkpoint`, async () => {
      const total = 30_000;
      const topic = `ack/${version}`;
      const clientId = `ack-after-record-${version}`;
      const state = join(mosquitto.dir, `${version}.json`);
      const consumer = CliProcess.consumer(['--url', mosquitto.broker.url, '-V', String(version), '-i', clientId, '-t', topic, '--state', state, '--json']);
      await consumer.waitForEvent('subscribed');
      const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-V', String(version), '-t', topic, '--interval', '0', '-C', String(total)]);
      await consumer.waitUntil('values streaming in', () => consumer.eventsOf('message').length >= 3000, 30_000);
      await consumer.kill();
      assert.equal((await producer.exitWithin(60_000)).code, 0, producer.stderr);

      const recorded = recordedValues(state);
      const held = await heldByBroker(mosquitto.broker.url, clientId, version, topic);
      assert.ok(recorded.size > 0 && recorded.size < total, `killed mid-stream: ${recorded.size} of ${total} recorded`);
      assert.ok(held.size > 0, 'the broker still held what was not recorded');
      const lost: number[] = [];
      for (let value = 1; value <= total; value++) if (!recorded.has(value) && !held.has(value)) lost.push(value);
      assert.deepEqual(lost.slice(0, 20), [], `${lost.length} values were acknowledged to the broker but never recorded`);
    });
  }

  it('a reader that lags behind: no value is recorded, so none acknowledged, before its line has left the process', async () => {
    const total = 5000;
    const topic = 'ack/slow-reader';
    const state = join(mosquitto.dir, 'slow-reader.json');
    const consumer = spawn(process.execPath, [...commandArgs('consumer'), '--url', mosquitto.broker.url, '-i', 'ack-slow-reader', '-t', topic, '--state', state, '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let output = '';
    const closed = new Promise((resolve) => consumer.stdout.on('close', resolve));
    consumer.stdout.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 15_000;
    while (!output.includes('"event":"subscribed"')) {
      assert.ok(Date.now() < deadline, `the consumer did not subscribe:\n${output}`);
      await new Promise((resolve) => consumer.stdout.once('data', resolve));
    }
    // From here the reader takes nothing: the pipe and this side's buffer fill with a few hundred lines.
    consumer.stdout.pause();
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-t', topic, '--interval', '0', '-C', String(total)]);
    assert.equal((await producer.exitWithin(60_000)).code, 0, producer.stderr);
    // Every value is at the broker; a consumer that records ahead of its output would record them all in this time.
    const watchUntil = Date.now() + 3000;
    let mostRecorded = 0;
    while (Date.now() < watchUntil) {
      mostRecorded = Math.max(mostRecorded, recordedValues(state).size);
      await sleep(100);
    }
    consumer.kill('SIGKILL');
    consumer.stdout.resume();
    await closed;
    const shown = new Set(
      output
        .split('\n')
        // The last piece, after the last newline, is a line the kill cut short.
        .slice(0, -1)
        .filter((line) => line.includes('"event":"message"'))
        .map((line) => (JSON.parse(line) as { value: number }).value),
    );
    const recorded = recordedValues(state);
    const unseen = [...recorded].filter((value) => !shown.has(value));
    assert.ok(shown.size < total, `the reader lagged: ${shown.size} of ${total} lines reached it`);
    assert.deepEqual(unseen.slice(0, 20), [], `${unseen.length} of ${recorded.size} recorded values (at most ${mostRecorded} seen recorded) never reached the reader`);
  });
});
