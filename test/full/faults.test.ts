/**
 * Faults on the way to the broker and in the broker itself: the consumer reconnects, and loses nothing it
 * does not report. (The half-open link is the keepalive scenario, run on both brokers by scenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LinkProxy } from '../../src/demo/link-proxy.js';
import type { Exit } from '../../src/demo/processes.js';
import { valuesIn } from '../../src/demo/story.js';
import { CliProcess, messageValues, sentValues } from '../support/cli.js';
import { mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Stops the producer, waits for its last value at the consumer, and stops that too. */
async function stopBoth(producer: CliProcess, consumer: CliProcess): Promise<{ last: number; exit: Exit }> {
  assert.equal((await producer.interrupt()).code, 0, producer.stderr);
  const last = Math.max(...sentValues(producer));
  await consumer.waitUntil(`value ${last}`, () => messageValues(consumer.events).includes(last));
  return { last, exit: await consumer.interrupt() };
}

/** stopBoth, then: every value arrived, and no gap was reported. */
async function assertNothingLost(producer: CliProcess, consumer: CliProcess): Promise<void> {
  const { last, exit } = await stopBoth(producer, consumer);
  const seen = new Set(messageValues(consumer.events));
  for (const value of range(1, last)) assert.ok(seen.has(value), `value ${value} never arrived`);
  assert.deepEqual(consumer.eventsOf('gap'), []);
  assert.equal(exit.code, 0, consumer.stderr);
}

describe('faults on the link and in the broker', { skip: mosquittoSkip() }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-link-'));
  });
  after(async () => {
    await CliProcess.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a link cut again and again: the consumer reconnects each time and nothing is lost', async () => {
    const broker = await new TestMosquitto().start();
    const proxy = await new LinkProxy(broker.port).start();
    try {
      const consumer = CliProcess.consumer(['--url', proxy.url, '-i', 'cut-consumer', '-t', 'cut', '--state', join(dir, 'cut.json'), '--json']);
      await consumer.waitForEvent('subscribed');
      const producer = CliProcess.producer(['--url', broker.url, '-t', 'cut', '--interval', '20']);
      for (let cut = 1; cut <= 4; cut++) {
        await consumer.waitUntil(`connection ${cut}`, () => consumer.eventsOf('connected').length >= cut);
        // A link cut now and then, not a tug of war: each connection lives longer than 2 s (150 values 20 ms apart).
        const sentBefore = sentValues(producer).length;
        await producer.waitUntil(`150 values sent over connection ${cut}`, () => sentValues(producer).length >= sentBefore + 150, 30_000);
        proxy.cut();
        await consumer.waitUntil(`cut ${cut} noticed`, () => consumer.eventsOf('offline').length >= cut);
        proxy.restore();
      }
      await consumer.waitUntil('the fifth connection', () => consumer.eventsOf('connected').length >= 5);
      const before = consumer.eventsOf('message').length;
      await consumer.waitUntil('values over the fifth connection', () => consumer.eventsOf('message').length >= before + 20, 30_000);
      await assertNothingLost(producer, consumer);
      assert.equal(consumer.eventsOf('offline').length, 4, 'each cut is seen once');
      assert.ok(consumer.eventsOf('connected').slice(1).every((event) => event.sessionPresent), 'every reconnect resumes the session');
    } finally {
      await proxy.close();
      await broker.dispose();
    }
  });

  it('a broker killed with SIGKILL: the values it lost are exactly the values the consumer reports missing', async () => {
    // Saved only at a clean stop: whatever is queued after that dies with a SIGKILL.
    const broker = await new TestMosquitto({ config: ['autosave_interval 3600'] }).start();
    try {
      const args = ['--url', broker.url, '-i', 'crash-witness', '-t', 'crash', '--state', join(dir, 'crash.json'), '--json'];
      const first = CliProcess.consumer(args);
      await first.waitForEvent('subscribed');
      const producer = CliProcess.producer(['--url', broker.url, '-t', 'crash', '--interval', '10', '--state', join(dir, 'crash-producer.json')]);
      await first.waitUntil('a few values', () => first.eventsOf('message').length >= 20);
      await first.interrupt();
      await broker.restart(); // a clean restart saves the consumer's session
      const sentBeforeSave = sentValues(producer).length;
      // The producer reconnects, and the broker queues what it sends for the absent consumer.
      await producer.waitUntil('100 values sent for the absent consumer', () => sentValues(producer).length >= sentBeforeSave + 100, 30_000);
      await broker.kill();
      await broker.start();
      const sentBeforeCrash = sentValues(producer).length;
      await producer.waitUntil('values sent after the crash', () => sentValues(producer).length >= sentBeforeCrash + 50, 30_000);
      const second = CliProcess.consumer(args);
      await second.waitForEvent('subscribed');
      await second.waitForEvent('message');
      const { last, exit } = await stopBoth(producer, second);

      const received = new Set([...messageValues(first.events), ...messageValues(second.events)]);
      const lost = range(1, last).filter((value) => !received.has(value));
      assert.ok(lost.length > 0, 'the broker lost what it had queued since its last save');
      assert.deepEqual(valuesIn(second.eventsOf('gap')), lost, 'the values reported missing are exactly those lost');
      for (const gap of second.eventsOf('gap')) assert.equal(gap.cause, 'unknown', 'a broker that crashed is not taken for a queue limit');
      const summary = second.eventsOf('summary')[0]!;
      assert.equal(summary.missing, lost.length);
      assert.equal(exit.code, 3);
    } finally {
      await broker.dispose();
    }
  });
});

/** Root may mount a small tmpfs: a real full disk, without filling the machine's. */
function canMount(): boolean {
  return process.getuid?.() === 0;
}

describe('a full disk', { skip: mosquittoSkip() || (!canMount() && !process.env.CI ? 'mounting a small tmpfs needs root' : false) }, () => {
  let dir: string;
  let disk: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-disk-'));
    disk = join(dir, 'disk');
    mkdirSync(disk);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', disk], { encoding: 'utf8' });
    assert.equal(mounted.status, 0, `mount: ${mounted.stderr}`);
  });
  after(async () => {
    await CliProcess.killAll();
    spawnSync('umount', ['-l', disk]);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Fills the disk to the last byte and keeps it full, taking every block freed meanwhile (a state file
   * replaced by its new copy frees one), until the returned function frees it all.
   */
  function fillDisk(): () => void {
    const filler = join(disk, 'filler');
    const fd = openSync(filler, 'w');
    const take = (): void => {
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    };
    take();
    const timer = setInterval(take, 2).unref();
    return () => {
      clearInterval(timer);
      closeSync(fd);
      rmSync(filler);
    };
  }

  it('stops the consumer with an error naming the state file, and what it had not recorded comes again', async () => {
    const broker = await new TestMosquitto().start();
    try {
      const state = join(disk, 'consumer.json');
      const args = ['--url', broker.url, '-i', 'disk-full', '-t', 'disk', '--state', state, '--json'];
      const first = CliProcess.consumer(args);
      await first.waitForEvent('subscribed');
      const producer = CliProcess.producer(['--url', broker.url, '-t', 'disk', '--interval', '20']);
      await first.waitUntil('a few values', () => first.eventsOf('message').length >= 20);

      const freeDisk = fillDisk();
      const firstExit = await first.exitWithin(20_000);
      assert.equal(firstExit.code, 1);
      assert.match(first.stderr, new RegExp(`^consumer: cannot write the state file ${state}: .*ENOSPC`));
      assert.doesNotMatch(first.stderr, /\n\s+at /, 'no stack trace');
      const recorded = JSON.parse(readFileSync(state, 'utf8')) as { tracker: { totals: { received: number } } };
      const printed = messageValues(first.events);

      freeDisk();
      const second = CliProcess.consumer(args);
      await second.waitForEvent('subscribed');
      await second.waitForEvent('message');
      const { last, exit } = await stopBoth(producer, second);

      const again = new Set(messageValues(second.events));
      const unrecorded = printed.slice(recorded.tracker.totals.received);
      assert.ok(unrecorded.length > 0, 'some values were shown but could not be recorded');
      for (const value of unrecorded) assert.ok(again.has(value), `value ${value} was never recorded, yet not delivered again`);
      const seen = new Set([...printed, ...again]);
      for (const value of range(1, last)) assert.ok(seen.has(value), `value ${value} never arrived`);
      assert.deepEqual(second.eventsOf('gap'), []);
      assert.equal(second.eventsOf('summary')[0]!.unique, last, 'the accounting counts every value once');
      assert.equal(exit.code, 0);
    } finally {
      await broker.dispose();
    }
  });

  it('stops the producer with an error naming its state file; restarted, it continues without a gap', async () => {
    const broker = await new TestMosquitto().start();
    try {
      const consumer = CliProcess.consumer(['--url', broker.url, '-i', 'disk-full-witness', '-t', 'disk-producer', '--no-state', '--json']);
      await consumer.waitForEvent('subscribed');
      const state = join(disk, 'producer.json');
      const args = ['--url', broker.url, '-t', 'disk-producer', '--interval', '20', '--state', state];
      const first = CliProcess.producer(args);
      await first.waitUntil('a few values', () => sentValues(first).length >= 20);
      const freeDisk = fillDisk();
      assert.equal((await first.exitWithin(20_000)).code, 1);
      assert.match(first.stderr, new RegExp(`^producer: cannot write the state file ${state}: .*ENOSPC`));
      freeDisk();

      const second = CliProcess.producer(args);
      await second.waitUntil('values after the restart', () => sentValues(second).length >= 20);
      await assertNothingLost(second, consumer);
      assert.deepEqual(consumer.eventsOf('producer-restart'), [], 'the restarted producer continues the same run');
    } finally {
      await broker.dispose();
    }
  });
});
