/** Nobody let in: the protected broker's users and rules, and TLS with a CA made by the test. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { protectedMosquitto, protectedUsers } from '../../src/brokers/protected.js';
import { CliProcess, messageValues } from '../support/cli.js';
import { mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';
import { makeCertificates, type TestCertificates } from '../support/tls.js';

const skip = mosquittoSkip();

/** The exit of a command that must stop by itself, soon: no retry loop. */
async function stopsAtOnce(command: CliProcess, withinMs = 8000): Promise<number | null> {
  const exit = await command.exitWithin(withinMs);
  assert.equal(command.stderr.trim().split('\n').length, 1, `one line on stderr: ${command.stderr}`);
  assert.doesNotMatch(command.stderr, /\n\s+at /, 'no stack trace');
  return exit.code;
}

describe('a protected broker: scripts/mosquitto-protected.conf', { skip }, () => {
  const password = 'correct horse battery staple';
  let broker: TestMosquitto;
  before(async () => {
    broker = await protectedMosquitto({ password }).start();
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
  });

  it('lets its users in, with the password from the environment or --password, and never shows the password', async () => {
    const consumer = CliProcess.consumer(['--url', broker.url, '-i', 'protected', '--no-state', '--json'], { MQTT_USERNAME: protectedUsers.consumer, MQTT_PASSWORD: password });
    await consumer.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', broker.url, '-u', protectedUsers.producer, '--password', password, '--interval', '10', '-C', '5']);
    assert.equal((await producer.exited).code, 0, producer.stderr);
    await consumer.waitUntil('value 5', () => messageValues(consumer.events).includes(5));
    assert.equal((await consumer.interrupt()).code, 0);
    for (const output of [consumer.stdout, consumer.stderr, producer.stdout, producer.stderr]) assert.ok(!output.includes(password));
  });

  it('refuses a wrong password at once: exit 1, not a reconnect loop', async () => {
    const consumer = CliProcess.consumer(['--url', broker.url, '-u', protectedUsers.consumer, '--no-state'], { MQTT_PASSWORD: 'wrong' });
    assert.equal(await stopsAtOnce(consumer), 1);
    assert.match(consumer.stderr, /^consumer: mqtt:\/\/127\.0\.0\.1:\d+ refused the connection: not authorised \(a wrong user name or password/);
    assert.doesNotMatch(consumer.stdout, /Connected/);
  });

  it('refuses a client without a user name', async () => {
    const consumer = CliProcess.consumer(['--url', broker.url, '--no-state']);
    assert.equal(await stopsAtOnce(consumer), 1);
    assert.match(consumer.stderr, /refused the connection: not authorised/);
  });

  it('refuses a subscription outside the user’s rules, names the topic, and exits 1', async () => {
    const consumer = CliProcess.consumer(['--url', broker.url, '-u', protectedUsers.consumer, '-t', 'other_topic', '--no-state'], { MQTT_PASSWORD: password });
    assert.equal(await stopsAtOnce(consumer), 1);
    assert.match(consumer.stderr, /^consumer: subscription to other_topic refused: not authorised/);
  });

  it('with several URLs, a subscription refused without a reason (MQTT 3.1.1) is tried again a bounded number of times, saying so, then exit 1', async () => {
    // The same broker twice stands for a cluster: a cluster may refuse for a while after losing a node.
    const consumer = CliProcess.consumer(['--url', `${broker.url},${broker.url}`, '-V', '4', '-u', protectedUsers.consumer, '-t', 'other_topic', '--no-state'], { MQTT_PASSWORD: password });
    const exit = await consumer.exitWithin(15_000);
    assert.equal(exit.code, 1);
    const retries = consumer.lines.filter((line) => line.includes('trying again in 1 s'));
    assert.equal(retries.length, 7, consumer.stdout);
    assert.match(retries[0]!, /^Warning: subscription to other_topic refused: unspecified error; a cluster may refuse while it recovers from a lost node: trying again in 1 s \(attempt 2 of 8\)/);
    assert.match(consumer.stderr, /^consumer: subscription to other_topic refused: unspecified error \(8 attempts, 1 s apart\)\n$/, 'one line on stderr, no stack trace');
  });

  it('refuses a publish outside the user’s rules, and the producer exits 1', async () => {
    const producer = CliProcess.producer(['--url', broker.url, '-u', protectedUsers.producer, '-t', 'other_topic', '-C', '1'], { MQTT_PASSWORD: password });
    assert.equal(await stopsAtOnce(producer), 1);
    assert.match(producer.stderr, /^producer: the broker refused value 1 on other_topic: not authorised/);
  });
});

describe('TLS with a CA made by the test', { skip }, () => {
  let dir: string;
  let certificates: TestCertificates;
  let broker: TestMosquitto;
  let askingBroker: TestMosquitto;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-tls-'));
    certificates = makeCertificates(dir);
    const tls = [`cafile ${certificates.ca}`, `certfile ${certificates.serverCert}`, `keyfile ${certificates.serverKey}`];
    broker = await new TestMosquitto({ config: tls }).start();
    askingBroker = await new TestMosquitto({ config: [...tls, 'require_certificate true'] }).start();
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
    await askingBroker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const secureUrl = (mosquitto: TestMosquitto, host = 'localhost'): string => `mqtts://${host}:${mosquitto.port}`;

  it('connects when the broker’s CA is given with --ca, and values go through', async () => {
    const consumer = CliProcess.consumer(['--url', secureUrl(broker), '--ca', certificates.ca, '-i', 'tls', '--no-state', '--json']);
    await consumer.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', secureUrl(broker), '--ca', certificates.ca, '--interval', '10', '-C', '3']);
    assert.equal((await producer.exited).code, 0, producer.stderr);
    await consumer.waitUntil('value 3', () => messageValues(consumer.events).includes(3));
    assert.equal((await consumer.interrupt()).code, 0);
  });

  for (const [what, extra] of [
    ['no --ca', []],
    ['a CA that did not sign it', ['--ca', 'OTHER']],
  ] as const) {
    it(`refuses a broker certificate it cannot trust (${what}), with a clear message`, async () => {
      const args = extra.map((arg) => (arg === 'OTHER' ? certificates.otherCa : arg));
      const consumer = CliProcess.consumer(['--url', secureUrl(broker), ...args, '--no-state']);
      assert.equal(await stopsAtOnce(consumer), 1);
      assert.match(consumer.stderr, /^consumer: cannot connect securely to mqtts:\/\/localhost:\d+: the broker's certificate is not signed by a trusted CA .*give the CA certificate that signed it with --ca FILE$/m);
    });
  }

  it('refuses a certificate issued for another host name', async () => {
    const consumer = CliProcess.consumer(['--url', secureUrl(broker, '127.0.0.1'), '--ca', certificates.ca, '--no-state']);
    assert.equal(await stopsAtOnce(consumer), 1);
    assert.match(consumer.stderr, /the broker's certificate is not issued for 127\.0\.0\.1/);
  });

  it('--insecure connects without checking, and says so loudly', async () => {
    const consumer = CliProcess.consumer(['--url', secureUrl(broker), '--insecure', '-i', 'insecure', '--no-state', '--json']);
    await consumer.waitForEvent('subscribed');
    assert.match(consumer.stderr, /Warning: --insecure: the broker's certificate is NOT checked/);
    await consumer.interrupt();
  });

  it('a broker that asks for a client certificate: refused without --cert, let in with --cert and --key', async () => {
    const without = CliProcess.consumer(['--url', secureUrl(askingBroker), '--ca', certificates.ca, '--no-state']);
    assert.equal(await stopsAtOnce(without), 1);
    assert.match(without.stderr, /the broker asks for a client certificate: give it with --cert FILE and --key FILE/);

    const withCertificate = CliProcess.consumer(['--url', secureUrl(askingBroker), '--ca', certificates.ca, '--cert', certificates.clientCert, '--key', certificates.clientKey, '--no-state', '--json']);
    await withCertificate.waitForEvent('subscribed');
    assert.equal((await withCertificate.interrupt()).code, 0);
  });
});
