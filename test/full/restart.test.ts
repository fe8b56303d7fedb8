/**
 * Restarted the instant after a crash: a supervisor starts the command again right after SIGKILL,
 * before the killed process is reaped (or never, under a PID 1 that reaps nothing). The killed process
 * is a zombie that holds no file: its state file is free, and the new process starts at once.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { CliProcess, messageValues, sentValues, type JsonEvent } from '../support/cli.js';
import { mosquittoSkip, withMosquitto } from '../support/mosquitto.js';
import { seededRandom } from '../support/random.js';
import { processState, UnreapedCommand } from '../support/unreaped.js';

const skip = process.platform !== 'linux' ? 'zombies are read from /proc' : mosquittoSkip();

/** The values some run received, read from their output as it grows, each line once. */
class Delivered {
  readonly values = new Set<number>();
  private readonly read = new Map<UnreapedCommand, number>();

  update(runs: UnreapedCommand[]): number {
    for (const run of runs) {
      const text = run.command.stdout;
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(this.read.get(run) ?? 0, end).split('\n')) {
        if (line.startsWith('{"event":"message"')) this.values.add((JSON.parse(line) as JsonEvent).value as number);
      }
      this.read.set(run, end);
    }
    return this.values.size;
  }
}

describe('a command restarted the instant after it was killed', { skip }, () => {
  const started: UnreapedCommand[] = [];
  // Reaped first, so that no zombie outlives the tests (after hooks run in the order they are declared).
  after(() => Promise.all(started.map((run) => run.release('SIGKILL').catch(() => null))));
  const mosquitto = withMosquitto('mqtt-ps-restart-');

  const consumer = (args: string[]): UnreapedCommand => {
    const run = UnreapedCommand.consumer(args);
    started.push(run);
    return run;
  };

  it('a consumer SIGKILLed 8 times at random instants, each time started again at once while the killed one is unreaped, starts every time and loses nothing at full rate', async (t) => {
    const random = seededRandom('RESTART_SEED');
    t.diagnostic(`kill times drawn with seed ${random.seed} (replay: RESTART_SEED=${random.seed})`);
    const total = 30_000;
    const state = join(mosquitto.dir, 'crash-loop.json');
    const args = ['--url', mosquitto.broker.url, '-i', 'crash-loop', '-t', 'crash-loop', '--state', state, '--json'];
    const runs = [consumer(args)];
    await runs[0]!.command.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-t', 'crash-loop', '--interval', '0', '-C', String(total)]);
    const killed: number[] = [];
    for (let kill = 0; kill < 8; kill++) {
      const run = runs.at(-1)!;
      await run.command.waitForEvent('connected', undefined, 30_000);
      await sleep(200 + Math.floor(random.next() * 900));
      killed.push(await run.kill());
      runs.push(consumer(args));
    }
    const last = runs.at(-1)!;
    await last.command.waitForEvent('subscribed', undefined, 30_000);
    assert.deepEqual(killed.map(processState), killed.map(() => 'Z'), 'every killed consumer was still a zombie, unreaped, when the last one started');
    assert.equal((await producer.exited).code, 0, producer.stderr);
    const delivered = new Delivered();
    await last.command.waitUntil(`all ${total} values`, () => delivered.update(runs) === total, 120_000);
    // What no run recorded comes again to the last one, in order: it has all of it once the last value reached it.
    const startedAt = (last.eventsOf('checkpoint')[0]?.lastValues as Array<{ value: number }> | undefined)?.[0]?.value ?? 0;
    await last.command.waitUntil(`value ${total} at the last run (its checkpoint ended at ${startedAt})`, () => startedAt === total || messageValues(last.events).includes(total), 60_000);
    const exit = await last.release('SIGINT');

    for (const run of runs) assert.doesNotMatch(run.command.stderr, /in use/, 'no start was refused');
    for (let value = 1; value <= total; value++) assert.ok(delivered.values.has(value), `value ${value} never arrived`);
    for (const run of runs) assert.deepEqual(run.eventsOf('gap'), [], 'no gap is ever reported');
    const summary = last.eventsOf('summary')[0]!;
    assert.equal(summary.missing, 0);
    assert.equal(summary.unique, total, 'the checkpoint counted every value exactly once');
    assert.equal(exit, 0);
    assert.deepEqual(readdirSync(mosquitto.dir).filter((name) => name.startsWith('crash-loop')), ['crash-loop.json'], 'no temporary file and no lock left behind');
    const shown = new Set<number>();
    for (const message of runs.flatMap((run) => run.eventsOf('message'))) {
      const value = message.value as number;
      if (message.duplicate) assert.ok(shown.has(value), `value ${value} was called a duplicate the first time it arrived`);
      shown.add(value);
    }
  });

  it('a consumer killed under a parent that never reaps it starts again at once and resumes right after its last recorded value', async () => {
    const args = ['--url', mosquitto.broker.url, '-i', 'zombie-consumer', '-t', 'zombie-consumer', '--state', join(mosquitto.dir, 'zombie-consumer.json'), '--json'];
    const first = consumer(args);
    await first.command.waitForEvent('subscribed');
    const producer = CliProcess.producer(['--url', mosquitto.broker.url, '-t', 'zombie-consumer', '--interval', '20']);
    await first.command.waitUntil('20 values', () => first.eventsOf('message').length >= 20);
    const killed = await first.kill();
    const second = consumer(args);
    await second.command.waitForEvent('subscribed');
    assert.equal(processState(killed), 'Z', 'the killed consumer is still a zombie');
    assert.deepEqual(second.eventsOf('state-in-use'), [], 'a zombie is not waited for');
    const checkpoint = await second.command.waitForEvent('checkpoint');
    const resume = await second.command.waitForEvent('resume');
    assert.equal(resume.missed, 0);
    assert.equal(resume.lastValue, (checkpoint.lastValues as Array<{ value: number }>)[0]!.value, 'it resumes from the checkpoint the killed run left');
    assert.equal((await producer.interrupt()).code, 0, producer.stderr);
    const lastSent = Math.max(...sentValues(producer));
    await second.command.waitUntil(`value ${lastSent}`, () => messageValues(second.events).includes(lastSent));
    assert.equal(await second.release('SIGINT'), 0, second.command.stderr);
    const seen = new Set([...messageValues(first.events), ...messageValues(second.events)]);
    for (let value = 1; value <= lastSent; value++) assert.ok(seen.has(value), `value ${value} never arrived`);
    assert.deepEqual([...first.eventsOf('gap'), ...second.eventsOf('gap')], []);
    assert.equal(second.eventsOf('summary')[0]!.missing, 0);
  });

  it('a producer with --state killed under a parent that never reaps it starts again at once and continues its run', async () => {
    const watcher = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'zombie-producer-watcher', '-t', 'zombie-producer', '--state', join(mosquitto.dir, 'watcher.json'), '--json']);
    await watcher.waitForEvent('subscribed');
    const args = ['--url', mosquitto.broker.url, '-t', 'zombie-producer', '--interval', '20', '--state', join(mosquitto.dir, 'zombie-producer.json'), '--json'];
    const first = UnreapedCommand.producer(args);
    started.push(first);
    await first.command.waitUntil('20 values sent', () => first.eventsOf('sent').length >= 20);
    const killed = await first.kill();
    const second = UnreapedCommand.producer(args);
    started.push(second);
    const continued = await second.command.waitForEvent('state');
    assert.equal(processState(killed), 'Z', 'the killed producer is still a zombie');
    assert.deepEqual(second.eventsOf('state-in-use'), [], 'a zombie is not waited for');
    await second.command.waitUntil('20 more values sent', () => second.eventsOf('sent').length >= 20);
    assert.equal(await second.release('SIGINT'), 0, second.command.stderr);
    const summary = second.eventsOf('producer-summary')[0]!;
    assert.equal(summary.pending, 0);
    const lastSent = summary.lastValue as number;
    assert.ok(lastSent >= (continued.nextValue as number), 'the restarted producer counted on from its state');
    await watcher.waitUntil(`value ${lastSent}`, () => messageValues(watcher.events).includes(lastSent));
    assert.equal((await watcher.interrupt()).code, 0, watcher.stderr);
    const seen = new Set(messageValues(watcher.events));
    for (let value = 1; value <= lastSent; value++) assert.ok(seen.has(value), `value ${value} never arrived`);
    assert.deepEqual(watcher.eventsOf('gap'), []);
    assert.deepEqual(watcher.eventsOf('producer-restart'), [], 'one run: the restarted producer continues it');
  });
});
