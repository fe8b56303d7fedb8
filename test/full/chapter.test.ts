/**
 * A checkpoint belongs to a broker: the same client id pointed at another broker (or MQTT version)
 * starts a new chapter instead of carrying the old accounting over, and --reset starts one on demand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brokerIdentity, chapterReason } from '../../src/core/chapter.js';
import { CliProcess } from '../support/cli.js';
import { mosquittoPub, mosquittoSkip, TestMosquitto } from '../support/mosquitto.js';

describe('which broker a checkpoint belongs to', () => {
  const node = (host: string, port: number, secure = false): { host: string; port: number; secure: boolean } => ({ host, port, secure });

  it('names each node by scheme, host and port, once, in order, whatever the URL spelling', () => {
    const identity = brokerIdentity([node('Node-B.example', 1884), node('node-a.example', 8883, true), node('node-b.example', 1884), node('::1', 1883)], 5);
    assert.deepEqual(identity, { urls: ['mqtt://[::1]:1883', 'mqtt://node-b.example:1884', 'mqtts://node-a.example:8883'], protocolVersion: 5 });
  });

  it('continues on the same broker, given by any of its nodes; starts a chapter on another broker, another MQTT version, or --reset', () => {
    const cluster = brokerIdentity([node('h', 4222), node('h', 4223), node('h', 4224)], 4);
    assert.equal(chapterReason(cluster, brokerIdentity([node('h', 4223)], 4), false), null);
    assert.equal(chapterReason(cluster, brokerIdentity([node('h', 1883)], 4), false), 'broker');
    assert.equal(chapterReason(cluster, brokerIdentity([node('h', 4222, true)], 4), false), 'broker');
    assert.equal(chapterReason(cluster, brokerIdentity([node('h', 4222)], 5), false), 'protocol-version');
    assert.equal(chapterReason(cluster, cluster, true), 'reset');
  });

  it('takes a checkpoint that names no broker as belonging to the broker it is used with', () => {
    assert.equal(chapterReason(undefined, brokerIdentity([node('localhost', 1883)], 5), false), null);
    assert.equal(chapterReason(undefined, brokerIdentity([node('localhost', 1883)], 5), true), 'reset');
  });
});

describe('a checkpoint belongs to a broker, against two Mosquittos', { skip: mosquittoSkip() }, () => {
  let dir: string;
  let first: TestMosquitto;
  let second: TestMosquitto;
  const hand = { 'producer-id': 'hand', 'run-id': 'hand-1' };
  const values = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-chapter-'));
    [first, second] = await Promise.all([new TestMosquitto().start(), new TestMosquitto().start()]);
  });
  after(async () => {
    await CliProcess.killAll();
    await Promise.all([first.dispose(), second.dispose()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const subscribed = (consumer: CliProcess): Promise<void> => consumer.waitUntil('the subscription', () => /^Subscribed to /m.test(consumer.stdout));

  /** A consumer that receives 1-5 and 10-12 on the first broker: 6-9 missing, exit 3. */
  async function lossyRun(id: string, state: string): Promise<void> {
    const lossy = CliProcess.consumer(['--url', first.url, '-i', id, '-t', 'chapter', '--state', state, '--json', '-C', '8']);
    await lossy.waitForEvent('subscribed');
    mosquittoPub(first.port, 'chapter', [...values(1, 5), ...values(10, 12)], hand);
    assert.equal((await lossy.exitWithin(15_000)).code, 3, lossy.stderr);
    assert.equal(lossy.eventsOf('summary')[0]!.missing, 4);
  }

  it('the same id on a broker it never used: a new chapter, no SESSION LOST, the earlier losses not carried, exit 0', async () => {
    const state = join(dir, 'moved.json');
    await lossyRun('moved-consumer', state);

    const moved = CliProcess.consumer(['--url', second.url, '-i', 'moved-consumer', '-t', 'chapter', '--state', state, '--json', '-C', '3']);
    await moved.waitForEvent('subscribed');
    mosquittoPub(second.port, 'chapter', values(1, 3), hand);
    assert.equal((await moved.exitWithin(15_000)).code, 0, moved.stdout + moved.stderr);
    assert.deepEqual(moved.eventsOf('session-lost'), [], 'this broker never had a session for it');
    assert.deepEqual(moved.eventsOf('checkpoint'), []);
    const chapter = moved.eventsOf('chapter');
    assert.equal(chapter.length, 1);
    assert.deepEqual(chapter[0], {
      event: 'chapter',
      path: state,
      reason: 'broker',
      previous: { urls: [first.url], protocolVersion: 5 },
      broker: { urls: [second.url], protocolVersion: 5 },
      earlier: { received: 8, missing: 4 },
    });
    assert.equal(moved.eventsOf('connected')[0]!.sessionPresent, false);
    const summary = moved.eventsOf('summary')[0]!;
    assert.equal(summary.missing, 0);
    assert.equal(summary.received, 3);
    assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')).broker, { urls: [second.url], protocolVersion: 5 });

    // Back on the first broker, in words: one line says the chapter, and the session kept there resumes.
    const back = CliProcess.consumer(['--url', first.url, '-i', 'moved-consumer', '-t', 'chapter', '--state', state, '-C', '1']);
    await subscribed(back);
    mosquittoPub(first.port, 'chapter', [13], hand);
    assert.equal((await back.exitWithin(15_000)).code, 0, back.stdout + back.stderr);
    const lines = back.lines.filter((line) => line.startsWith('New chapter'));
    assert.deepEqual(lines, [
      `New chapter: ${state} holds the accounting of ${second.url} (MQTT 5); this run is on ${first.url} (MQTT 5), so it starts afresh (the earlier one, 3 received and 0 missing, is not carried forward)`,
    ]);
    assert.doesNotMatch(back.stdout, /SESSION LOST/);
  });

  it('another MQTT version on the same broker is a new chapter too', async () => {
    const state = join(dir, 'version.json');
    await lossyRun('version-consumer', state);
    const older = CliProcess.consumer(['--url', first.url, '-V', '4', '-i', 'version-consumer', '-t', 'chapter', '--state', state, '--json', '-C', '1']);
    await older.waitForEvent('subscribed');
    mosquittoPub(first.port, 'chapter', [13], hand);
    assert.equal((await older.exitWithin(15_000)).code, 0, older.stdout + older.stderr);
    const chapter = older.eventsOf('chapter')[0]!;
    assert.equal(chapter.reason, 'protocol-version');
    assert.deepEqual(chapter.broker, { urls: [first.url], protocolVersion: 4 });
  });

  it('earlier losses are carried forward with a word on how to reset; --reset starts the count afresh on the same broker (exit 0)', async () => {
    const state = join(dir, 'reset.json');
    await lossyRun('reset-consumer', state);

    const carried = CliProcess.consumer(['--url', first.url, '-i', 'reset-consumer', '-t', 'chapter', '--state', state, '-C', '1']);
    await subscribed(carried);
    mosquittoPub(first.port, 'chapter', [13], hand);
    assert.equal((await carried.exitWithin(15_000)).code, 3, 'the earlier losses still count');
    assert.match(carried.stdout, /^Continuing from .*reset\.json: 8 received so far, chapter from hand at 12; 4 missing in earlier runs, still counted \(--reset starts afresh\)$/m);

    const reset = CliProcess.consumer(['--url', first.url, '-i', 'reset-consumer', '-t', 'chapter', '--state', state, '--reset', '-C', '1']);
    await subscribed(reset);
    mosquittoPub(first.port, 'chapter', [14], hand);
    assert.equal((await reset.exitWithin(15_000)).code, 0, reset.stdout + reset.stderr);
    assert.match(reset.stdout, /^New chapter \(--reset\): the accounting in .*reset\.json starts afresh \(the earlier one, 9 received and 4 missing, is set aside\)$/m);
    assert.match(reset.stdout, /session resumed \(session present\)/);
    assert.doesNotMatch(reset.stdout, /Continuing from|SESSION LOST|GAP/);
    assert.match(reset.stdout, /^Summary: 1 received, 1 unique, 0 missing,/m);

    // The next run continues the new chapter.
    const next = CliProcess.consumer(['--url', first.url, '-i', 'reset-consumer', '-t', 'chapter', '--state', state, '-C', '1']);
    await subscribed(next);
    mosquittoPub(first.port, 'chapter', [15], hand);
    assert.equal((await next.exitWithin(15_000)).code, 0, next.stdout + next.stderr);
    assert.match(next.stdout, /^Continuing from .*reset\.json: 1 received so far, chapter from hand at 14$/m);
  });

  it('a checkpoint written before it named its broker is continued on the broker it is used with', async () => {
    const state = join(dir, 'older.json');
    await lossyRun('older-consumer', state);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    delete saved.broker;
    delete saved.sessionExpiry;
    writeFileSync(state, JSON.stringify(saved));
    const older = CliProcess.consumer(['--url', first.url, '-i', 'older-consumer', '-t', 'chapter', '--state', state, '--json', '-C', '1']);
    await older.waitForEvent('subscribed');
    mosquittoPub(first.port, 'chapter', [13], hand);
    assert.equal((await older.exitWithin(15_000)).code, 3, 'the earlier losses still count');
    assert.equal(older.eventsOf('checkpoint')[0]!.missing, 4);
    assert.deepEqual(older.eventsOf('chapter'), []);
    assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')).broker, { urls: [first.url], protocolVersion: 5 });
  });

  it('--reset with --no-state is one line on stderr and exit 2', async () => {
    const both = CliProcess.consumer(['--url', first.url, '-i', 'x', '--reset', '--no-state']);
    assert.equal((await both.exitWithin(15_000)).code, 2);
    assert.equal(both.stderr, 'consumer: --reset starts the checkpoint afresh, and --no-state keeps none: give one of them\n');
  });
});
