/** The article's story, against a real Mosquitto: a consumer leaves, returns, and misses nothing. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliProcess, messageValues, type JsonEvent } from './support/cli.js';
import { mosquittoSkip, TestMosquitto } from './support/mosquitto.js';

const skip = mosquittoSkip();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the tutorial against Mosquitto', { skip }, () => {
  let broker: TestMosquitto;
  let dir: string;
  let topicCount = 0;
  before(async () => {
    broker = await new TestMosquitto().start();
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-tutorial-'));
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Each test its own topic and client id, so they cannot see each other's values. */
  function names(): { topic: string; id: string; state: string } {
    topicCount++;
    return { topic: `tutorial/${topicCount}`, id: `tutorial-consumer-${topicCount}`, state: join(dir, `consumer-${topicCount}.json`) };
  }

  function consumer(args: string[]): CliProcess {
    return CliProcess.consumer(['--url', broker.url, '--json', ...args]);
  }

  async function receiveSome(process: CliProcess, howMany: number): Promise<void> {
    await process.waitUntil(`${howMany} messages`, () => process.eventsOf('message').length >= howMany);
  }

  const summaryOf = (process: CliProcess): JsonEvent => process.eventsOf('summary').at(-1)!;

  it('a consumer that returns resumes right after its last value, and nothing is skipped', async () => {
    const { topic, id, state } = names();
    const producer = CliProcess.producer(['--url', broker.url, '-t', topic, '--interval', '100']);
    await producer.waitUntil('values sent', () => producer.lines.filter((l) => l.startsWith('Sent: ')).length >= 5);

    const first = consumer(['-i', id, '-t', topic, '--state', state]);
    const connected = await first.waitForEvent('connected');
    assert.equal(connected.sessionPresent, false);
    await receiveSome(first, 5);
    const firstExit = await first.interrupt();
    assert.equal(firstExit.code, 0, first.stderr);
    const before = messageValues(first.events);
    assert.ok(before[0]! > 1, 'it joined late, so it missed the first values');
    assert.equal(first.eventsOf('gap').length, 0, 'joining late is not a gap');
    const lastBefore = before.at(-1)!;

    await sleep(1000); // the producer goes on while the consumer is away

    const second = consumer(['-i', id, '-t', topic, '--state', state]);
    const again = await second.waitForEvent('connected');
    assert.equal(again.sessionPresent, true, 'the broker kept the session');
    await receiveSome(second, 15);
    const backlog = await second.waitForEvent('backlog');
    assert.ok((backlog.count as number) >= 5, `about ten values waited in the broker, got ${String(backlog.count)}`);
    const secondExit = await second.interrupt();
    await producer.interrupt();

    const afterValues = messageValues(second.events);
    assert.equal(afterValues[0], lastBefore + 1, 'the first value after the return is the one right after the last before');
    for (let i = 1; i < afterValues.length; i++) assert.equal(afterValues[i], afterValues[i - 1]! + 1);
    const resume = second.eventsOf('resume')[0]!;
    assert.equal(resume.lastValue, lastBefore);
    assert.equal(resume.missed, 0);
    assert.equal(second.eventsOf('gap').length, 0);
    assert.equal(summaryOf(second).missing, 0);
    assert.equal(secondExit.code, 0, second.stderr);
    assert.match(producer.stdout, /Summary: \d+ sent, \d+ acknowledged/);
  });

  it('with a clean session the values sent while away are lost, and flagged as a gap', async () => {
    const { topic, id, state } = names();
    const producer = CliProcess.producer(['--url', broker.url, '-t', topic, '--interval', '100']);
    const first = consumer(['-i', id, '-t', topic, '--state', state, '--clean']);
    await receiveSome(first, 3);
    await first.interrupt();
    const lastBefore = messageValues(first.events).at(-1)!;
    await sleep(1000);
    const second = consumer(['-i', id, '-t', topic, '--state', state, '--clean']);
    const connected = await second.waitForEvent('connected');
    assert.equal(connected.sessionPresent, false);
    const gap = await second.waitForEvent('gap');
    const exit = await second.interrupt();
    await producer.interrupt();
    assert.equal(gap.from, lastBefore + 1);
    assert.ok((gap.missing as number) >= 5, `about ten values were sent while away, ${String(gap.missing)} reported`);
    assert.equal(gap.cause, 'clean-session');
    assert.equal(exit.code, 3, 'values are missing: exit status 3');
  });

  it('QoS 0 values are not queued for an offline consumer, and the loss is flagged', async () => {
    const { topic, id, state } = names();
    const producer = CliProcess.producer(['--url', broker.url, '-t', topic, '--interval', '100', '-q', '0']);
    const first = consumer(['-i', id, '-t', topic, '--state', state]);
    await receiveSome(first, 3);
    await first.interrupt();
    await sleep(1000);
    const second = consumer(['-i', id, '-t', topic, '--state', state]);
    const connected = await second.waitForEvent('connected');
    assert.equal(connected.sessionPresent, true, 'the session itself was kept');
    const gap = await second.waitForEvent('gap');
    const exit = await second.interrupt();
    await producer.interrupt();
    assert.equal(second.eventsOf('backlog').length, 0, 'nothing was queued');
    assert.ok((gap.missing as number) >= 5);
    assert.equal(gap.cause, 'qos0');
    assert.equal(exit.code, 3);
  });

  it('away longer than the session expiry: the session is not resumed and the loss is flagged', async () => {
    const { topic, id, state } = names();
    const producer = CliProcess.producer(['--url', broker.url, '-t', topic, '--interval', '100']);
    const first = consumer(['-i', id, '-t', topic, '--state', state, '--session-expiry', '1']);
    await receiveSome(first, 3);
    await first.interrupt();
    await sleep(3000);
    const second = consumer(['-i', id, '-t', topic, '--state', state, '--session-expiry', '1']);
    const connected = await second.waitForEvent('connected');
    assert.equal(connected.sessionPresent, false, 'the session expired');
    await second.waitForEvent('session-lost');
    const gap = await second.waitForEvent('gap');
    const exit = await second.interrupt();
    await producer.interrupt();
    assert.ok((gap.missing as number) >= 20, `about 30 values were sent while away, ${String(gap.missing)} reported`);
    assert.equal(gap.cause, 'session-lost');
    assert.equal(exit.code, 3);
  });
});
