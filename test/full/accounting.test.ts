/** Exact accounting: crashes, queue limits and outages, and the consumer still tells the truth. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CliProcess, messageValues, sentValues } from '../support/cli.js';
import { mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';
import { seededRandom } from '../support/random.js';

const skip = mosquittoSkip();

describe('exact delivery accounting against Mosquitto', { skip }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-accounting-'));
  });
  after(async () => {
    await CliProcess.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a consumer killed at random instants ten times loses nothing and never reports a false gap', async (t) => {
    const random = seededRandom('CRASH_SEED');
    t.diagnostic(`kill times drawn with seed ${random.seed} (replay: CRASH_SEED=${random.seed})`);
    const broker = await new TestMosquitto().start();
    try {
      const state = join(dir, 'killed.json');
      const args = ['--url', broker.url, '-i', 'killed-consumer', '-t', 'crash', '--state', state, '--json'];
      const runs: CliProcess[] = [];
      const firstRun = CliProcess.consumer(args);
      runs.push(firstRun);
      await firstRun.waitForEvent('subscribed');
      const total = 4000;
      const producer = CliProcess.producer(['--url', broker.url, '-t', 'crash', '--interval', '2', '--count', String(total)]);
      for (let kill = 0; kill < 10; kill++) {
        const run = runs.at(-1)!;
        await run.waitForEvent('connected');
        await sleep(200 + Math.floor(random.next() * 900));
        await run.kill();
        runs.push(CliProcess.consumer(args));
      }
      const last = runs.at(-1)!;
      await last.waitForEvent('subscribed');
      assert.equal((await producer.exited).code, 0, producer.stderr);
      // Once the producer has every value acknowledged, the broker holds for this session whatever no run
      // recorded, and delivers it in order: the last run has it all once value ${total} reached it, unless
      // the checkpoint it started from already ended there.
      const startedAt = (last.eventsOf('checkpoint')[0]?.lastValues as Array<{ value: number }> | undefined)?.[0]?.value ?? 0;
      await last.waitUntil(`value ${total} at the last run (its checkpoint ended at ${startedAt})`, () => startedAt === total || messageValues(last.events).includes(total), 60_000);
      const exit = await last.interrupt();

      const seen = new Set(runs.flatMap((run) => messageValues(run.events)));
      for (let value = 1; value <= total; value++) assert.ok(seen.has(value), `value ${value} never arrived`);
      for (const run of runs) assert.deepEqual(run.eventsOf('gap'), [], 'no gap is ever reported');
      const summary = last.eventsOf('summary')[0]!;
      assert.equal(summary.missing, 0);
      assert.equal(summary.unique, total, 'the checkpoint counted every value exactly once');
      assert.equal(exit.code, 0);
      assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('killed')), ['killed.json'], 'ten kills leave no temporary file and no lock behind');
      // A duplicate is a redelivery of a value some run had already shown, never a value seen for the first time.
      const shown = new Set<number>();
      for (const message of runs.flatMap((run) => run.eventsOf('message'))) {
        const value = message.value as number;
        if (message.duplicate) assert.ok(shown.has(value), `value ${value} was called a duplicate the first time it arrived`);
        shown.add(value);
      }
    } finally {
      await broker.dispose();
    }
  });

  it('with a broker queue limit, the consumer names exactly the values the broker dropped', async () => {
    const broker = await new TestMosquitto({ config: ['max_queued_messages 100'] }).start();
    try {
      const state = join(dir, 'limited.json');
      const args = ['--url', broker.url, '-i', 'limited-consumer', '-t', 'limit', '--state', state, '--queue-limit', '100', '--json'];
      const witness = CliProcess.consumer(['--url', broker.url, '-i', 'witness', '-t', 'limit', '--no-state', '--json']);
      const first = CliProcess.consumer(args);
      await Promise.all([witness.waitForEvent('subscribed'), first.waitForEvent('subscribed')]);
      const producer = CliProcess.producer(['--url', broker.url, '-t', 'limit', '--interval', '5']);
      await first.waitUntil('a few values', () => first.eventsOf('message').length >= 10);
      await first.interrupt();
      const sentBeforeLeaving = sentValues(producer).length;
      await producer.waitUntil('500 values sent while the consumer is away: far more than the queue holds', () => sentValues(producer).length >= sentBeforeLeaving + 500, 30_000);
      const second = CliProcess.consumer(args);
      const firstGap = await second.waitForEvent('gap');
      await second.waitUntil('live values after the gap', () => second.eventsOf('message').filter((m) => !m.queued && (m.value as number) > (firstGap.to as number)).length >= 20);
      await producer.interrupt();
      const lastSent = Math.max(...sentValues(producer));
      for (const consumer of [second, witness]) await consumer.waitUntil(`value ${lastSent}`, () => messageValues(consumer.events).includes(lastSent));
      const exit = await second.interrupt();
      await witness.interrupt();

      const received = new Set([...messageValues(first.events), ...messageValues(second.events)]);
      const witnessed = messageValues(witness.events);
      const highest = Math.max(...received);
      const dropped = witnessed.filter((value) => value <= highest && value >= Math.min(...received) && !received.has(value));
      assert.ok(dropped.length > 100, `the broker should have dropped hundreds, dropped ${dropped.length}`);
      const reported: number[] = [];
      for (const gap of second.eventsOf('gap')) {
        for (let value = gap.from as number; value <= (gap.to as number); value++) reported.push(value);
        assert.equal(gap.cause, 'queue-limit');
      }
      assert.deepEqual(reported, dropped, 'the values reported missing are exactly those the broker dropped');
      const summary = second.eventsOf('summary')[0]!;
      assert.equal(summary.missing, dropped.length);
      assert.equal(exit.code, 3);
    } finally {
      await broker.dispose();
    }
  });

  it('a producer killed during a broker outage and restarted with its state loses nothing', async () => {
    const broker = await new TestMosquitto().start();
    try {
      const producerState = join(dir, 'producer.json');
      const consumer = CliProcess.consumer(['--url', broker.url, '-i', 'outage-consumer', '-t', 'outage', '--state', join(dir, 'outage.json'), '--json']);
      await consumer.waitForEvent('subscribed');
      const producerArgs = ['--url', broker.url, '-t', 'outage', '--interval', '100', '--state', producerState];
      const producer = CliProcess.producer(producerArgs);
      await consumer.waitUntil('values before the outage', () => consumer.eventsOf('message').length >= 5);
      await broker.stop();
      await producer.waitUntil('values kept during the outage', () => producer.lines.filter((line) => line.startsWith('Kept: ')).length >= 5);
      await producer.kill();
      const restarted = CliProcess.producer(producerArgs);
      await restarted.waitUntil('the restarted producer counting on', () => restarted.lines.filter((line) => line.startsWith('Kept: ')).length >= 5);
      await broker.start();
      await restarted.waitUntil('values sent after the outage', () => sentValues(restarted).length >= 15, 20_000);
      const producerExit = await restarted.interrupt();
      assert.equal(producerExit.code, 0, restarted.stderr);
      const lastSent = Math.max(...sentValues(restarted));
      await consumer.waitUntil(`value ${lastSent}`, () => messageValues(consumer.events).includes(lastSent), 20_000);
      const exit = await consumer.interrupt();
      const seen = new Set(messageValues(consumer.events));
      for (let value = 1; value <= lastSent; value++) assert.ok(seen.has(value), `value ${value} never arrived`);
      assert.deepEqual(consumer.eventsOf('gap'), []);
      assert.equal(consumer.eventsOf('producer-restart').length, 0, 'the restarted producer continues the same run');
      assert.equal(exit.code, 0);
    } finally {
      await broker.dispose();
    }
  });
});
