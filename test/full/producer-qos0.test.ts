/**
 * The producer at QoS 0 against a real Mosquitto: nothing answers a QoS 0 PUBLISH, so the producer says
 * what it sent and never that anything was acknowledged; at QoS 1 the PUBACKs are counted as before.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CliProcess } from '../support/cli.js';
import { mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';

/** A mosquitto_sub that prints count messages of topic and exits; resolves once it is subscribed. */
async function listen(port: number, topic: string, count: number): Promise<{ values: Promise<string[]> }> {
  // Line-buffered, so that its SUBACK line is seen while it runs (a pipe is otherwise block-buffered).
  const child = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('received SUBACK') && resolve());
    child.once('exit', () => reject(new Error(`mosquitto_sub ended before it subscribed: ${out}`)));
  });
  return { values: new Promise((resolve) => child.once('exit', () => resolve(out.split('\n').filter((line) => /^\d+$/.test(line))))) };
}

describe('the producer at QoS 0, against Mosquitto', { skip: mosquittoSkip() }, () => {
  let broker: TestMosquitto;
  before(async () => {
    broker = await new TestMosquitto().start();
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
  });

  it('-q 0 -C 3 says 3 sent and never acknowledged, and the 3 values arrive', async () => {
    const received = await listen(broker.port, 'qos0-text', 3);
    const producer = CliProcess.producer(['--url', broker.url, '-t', 'qos0-text', '-q', '0', '-C', '3', '--interval', '0']);
    assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    assert.deepEqual(await received.values, ['1', '2', '3']);
    assert.match(producer.stdout, /^Summary: 3 sent at QoS 0 \(no acknowledgement at QoS 0\), last value 3$/m);
    assert.doesNotMatch(producer.stdout, /acknowledged/);
  });

  it('-q 0 -C 3 --json: 3 sent, acknowledged null (none exists at QoS 0)', async () => {
    const producer = CliProcess.producer(['--url', broker.url, '-i', 'zero', '-t', 'qos0-json', '-q', '0', '-C', '3', '--json']);
    assert.equal((await producer.exitWithin(30_000)).code, 0, producer.stderr);
    const runId = producer.eventsOf('producer-summary')[0]?.runId;
    assert.match(String(runId), /^[0-9a-f]{8}$/);
    assert.deepEqual(producer.eventsOf('producer-summary'), [
      { event: 'producer-summary', qos: 0, sent: 3, acknowledged: null, pending: 0, lastValue: 3, topic: 'qos0-json', producerId: 'zero', runId, acknowledgedValues: null },
    ]);
  });

  it('QoS 1 is unchanged: 3 sent, 3 acknowledged, in words and in JSON', async () => {
    const text = CliProcess.producer(['--url', broker.url, '-t', 'qos1', '-q', '1', '-C', '3', '--interval', '0']);
    assert.equal((await text.exitWithin(30_000)).code, 0, text.stderr);
    assert.match(text.stdout, /^Summary: 3 sent, 3 acknowledged, 0 not acknowledged, last value 3$/m);
    const json = CliProcess.producer(['--url', broker.url, '-i', 'one', '-t', 'qos1', '-q', '1', '-C', '3', '--interval', '0', '--json']);
    assert.equal((await json.exitWithin(30_000)).code, 0, json.stderr);
    const runId = json.eventsOf('producer-summary')[0]?.runId;
    assert.match(String(runId), /^[0-9a-f]{8}$/);
    assert.deepEqual(json.eventsOf('producer-summary'), [
      { event: 'producer-summary', qos: 1, sent: 3, acknowledged: 3, pending: 0, lastValue: 3, topic: 'qos1', producerId: 'one', runId, acknowledgedValues: [{ from: 1, to: 3 }] },
    ]);
  });

  it('at full rate, a broker killed and started again does not stop a QoS 0 producer: it goes on sending', async () => {
    const producer = CliProcess.producer(['--url', broker.url, '-t', 'qos0-restart', '-q', '0', '--interval', '0']);
    await producer.waitUntil('some values sent', () => producer.stdout.length > 200_000, 30_000);
    await broker.kill();
    await broker.start();
    // Searched from where the last look ended, so that the check stays cheap on a long output.
    const secondConnection = '\nConnected to';
    let searchFrom = producer.stdout.indexOf('Connected to') + 1;
    let reconnectedAt = -1;
    await producer.waitUntil('the second connection', () => {
      reconnectedAt = producer.stdout.indexOf(secondConnection, searchFrom);
      searchFrom = Math.max(searchFrom, producer.stdout.length - secondConnection.length);
      return reconnectedAt >= 0;
    }, 30_000);
    await producer.waitUntil('values sent after the reconnection', () => producer.stdout.length - reconnectedAt > 100_000, 30_000);
    assert.equal((await producer.interrupt()).code, 0, producer.stderr);
    assert.match(producer.stdout, /^Summary: \d+ sent at QoS 0/m);
  });
});
