/** A broker that speaks only MQTT 3.1.1: a real single NATS server node. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CliProcess, messageValues } from './support/cli.js';
import { natsSkip, TestNatsCluster } from './support/nats.js';

describe('a broker that speaks only MQTT 3.1.1 (one NATS node)', { skip: natsSkip() }, () => {
  let nats: TestNatsCluster;
  before(async () => {
    nats = await new TestNatsCluster({ size: 1 }).start();
  });
  after(async () => {
    await CliProcess.killAll();
    await nats?.dispose();
  });

  for (const name of ['consumer', 'producer'] as const) {
    it(`the ${name} asking for MQTT 5 stops at once with one line that says to use -V 4`, async () => {
      const started = Date.now();
      const command = new CliProcess(name, ['--url', nats.urls[0]!, '--no-state'].filter((arg) => name === 'consumer' || arg !== '--no-state'));
      const exit = await command.exitWithin(10_000);
      assert.equal(exit.code, 1, command.stderr);
      assert.ok(Date.now() - started < 8000, 'no retrying');
      const lines = command.stderr.trim().split('\n');
      assert.equal(lines.length, 1, command.stderr);
      assert.match(lines[0]!, new RegExp(`^${name}: mqtt://127\\.0\\.0\\.1:\\d+ refused the connection: the broker speaks only MQTT 3\\.1\\.1 and refused MQTT 5 .*connect with -V 4$`));
      assert.doesNotMatch(command.stdout, /retrying/);
    });
  }

  it('with -V 4 a persistent session works: the returning consumer gets what was sent while it was away', async () => {
    const url = nats.urls[0]!;
    const args = ['--url', url, '-V', '4', '-i', 'nats-v4', '-t', 'nats/v4', '--no-state', '--json'];
    const first = CliProcess.consumer(args);
    await first.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', url, '-V', '4', '-t', 'nats/v4', '--interval', '20', '--count', '100', '--json']);
    await first.waitUntil('value 10', () => messageValues(first.events).includes(10));
    await first.interrupt();
    assert.equal((await producer.exitWithin(15_000)).code, 0, producer.stderr);
    const second = CliProcess.consumer(args);
    await second.waitUntil('value 100', () => messageValues(second.events).includes(100), 15_000);
    assert.equal(second.eventsOf('connected')[0]!.sessionPresent, true);
    assert.ok(messageValues(second.events)[0]! <= Math.max(...messageValues(first.events)) + 1, 'the returning consumer starts right after its last value');
    assert.equal(second.eventsOf('gap').length, 0);
    const all = new Set([...messageValues(first.events), ...messageValues(second.events)]);
    assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
    await second.interrupt();
  });
});
