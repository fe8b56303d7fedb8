/**
 * Consumer groups against a real Mosquitto: a member shows its share and never claims as missing what
 * another member got; the report merges the members' records and finds what reached no member.
 * (A member away while values are sent is the group scenario, replayed by scenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, messageValues } from '../support/cli.js';
import { mosquittoPub, mosquittoSkip, withMosquitto } from '../support/mosquitto.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('consumer groups, against Mosquitto', { skip: mosquittoSkip() }, () => {
  const mosquitto = withMosquitto('mqtt-ps-groups-');

  it('a value removed on the way: no member reports a gap, the report finds exactly that value missing from the whole group', async () => {
    // One member says --group, the other names the shared subscription itself: the same thing.
    const first = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'member-1', '-t', 'jobs', '--group', 'workers', '--state', join(mosquitto.dir, 'member-1.json'), '--json']);
    const second = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'member-2', '-t', '$share/workers/jobs', '--state', join(mosquitto.dir, 'member-2.json'), '--json']);
    await Promise.all([first.waitForEvent('subscribed'), second.waitForEvent('subscribed')]);
    assert.equal(first.eventsOf('subscribed')[0]!.topic, '$share/workers/jobs');
    mosquittoPub(mosquitto.broker.port, 'jobs', Array.from({ length: 40 }, (_, i) => i + 1).filter((value) => value !== 11), { 'producer-id': 'hand', 'run-id': 'hand-1' });
    await first.waitUntil('39 values across the group', () => messageValues(first.events).length + messageValues(second.events).length >= 39);
    const exits = [(await first.interrupt()).code, (await second.interrupt()).code];
    assert.deepEqual(exits, [0, 0], 'a member never exits 3 for what it did not get');
    assert.deepEqual([...first.eventsOf('gap'), ...second.eventsOf('gap')], []);
    const shares = [messageValues(first.events).length, messageValues(second.events).length];
    assert.ok(shares.every((share) => share >= 10), `each member got a share: ${shares.join(' and ')}`);
    assert.equal(first.eventsOf('summary').at(-1)!.group, 'workers');

    const fromState = CliProcess.report([join(mosquitto.dir, 'member-1.json'), join(mosquitto.dir, 'member-2.json'), '--json']);
    assert.equal((await fromState.exitWithin(15_000)).code, 3, fromState.stderr);
    const report = fromState.eventsOf('group-report')[0]!;
    assert.equal(report.group, 'workers');
    assert.deepEqual(report.members, ['member-1', 'member-2']);
    assert.equal(report.missing, 1);
    assert.equal(report.deliveredOnce, 39);
    assert.equal(report.deliveredTwice, 0);
    const producer = (report.producers as Array<Record<string, unknown>>)[0]!;
    assert.equal(producer.producerId, 'hand');
    assert.deepEqual(producer.missingRanges, [{ from: 11, to: 11 }]);
    assert.deepEqual(
      (producer.members as Array<{ member: string; received: number }>).map((m) => m.received),
      shares,
      "each member's share as it received it",
    );

    // The members' --json output serves as well as their state files.
    writeFileSync(join(mosquitto.dir, 'member-1.jsonl'), first.stdout);
    writeFileSync(join(mosquitto.dir, 'member-2.jsonl'), second.stdout);
    const fromOutput = CliProcess.report([join(mosquitto.dir, 'member-1.jsonl'), join(mosquitto.dir, 'member-2.jsonl')]);
    assert.equal((await fromOutput.exitWithin(15_000)).code, 3);
    assert.match(fromOutput.stdout, /^Group workers: 2 members \(member-1, member-2\)$/m);
    assert.match(fromOutput.stdout, /delivered exactly once: 39; missing from the whole group: 1 \(11\); delivered to two members: 0/);
    assert.match(fromOutput.stdout, /Verdict: 1 values reached no member of the group/);
  });

  it('a member away with its session kept: what no member has yet is waiting for it, not missing (exit 4); back and drained, every value is delivered (exit 0)', async () => {
    const args = (name: string): string[] => ['--url', mosquitto.broker.url, '-i', name, '-t', 'parked', '--group', 'parking', '--state', join(mosquitto.dir, `${name}.json`), '--json'];
    // With a send time, the returning member can tell what waited in its session.
    const hand = (): Record<string, string> => ({ 'producer-id': 'hand', 'run-id': 'hand-2', 'sent-at': String(Date.now()) });
    const stays = CliProcess.consumer(args('stays'));
    const leaves = CliProcess.consumer(args('leaves'));
    await Promise.all([stays.waitForEvent('subscribed'), leaves.waitForEvent('subscribed')]);
    mosquittoPub(mosquitto.broker.port, 'parked', range(1, 10), hand());
    await stays.waitUntil('1-10 across the group', () => new Set([...messageValues(stays.events), ...messageValues(leaves.events)]).size === 10);
    assert.ok(messageValues(leaves.events).length > 0, 'the member that leaves had a share before');
    assert.equal((await leaves.interrupt()).code, 0);

    // Sent while it is away: the broker hands part of them to its session. Once the member that stayed has
    // the last value sent, it has every value the broker handed it (a session's values come in order).
    mosquittoPub(mosquitto.broker.port, 'parked', range(11, 30), hand());
    let last = 30;
    const has = (value: number): Promise<boolean> => stays.waitUntil(`value ${value}`, () => messageValues(stays.events).includes(value), 3000).then(() => true, () => false);
    while (!(await has(last))) {
      assert.ok(last < 60, 'the member that stayed gets a share of what is sent');
      last++;
      mosquittoPub(mosquitto.broker.port, 'parked', [last], hand());
    }
    assert.equal((await stays.interrupt()).code, 0);
    const atStays = new Set(messageValues(stays.events));
    const parked = range(11, last).filter((value) => !atStays.has(value));
    assert.ok(parked.length >= 5, `the absent member's share of ${last - 10} values: ${parked.length}`);

    const records = [join(mosquitto.dir, 'stays.json'), join(mosquitto.dir, 'leaves.json')];
    const waiting = CliProcess.report([...records, '--json']);
    assert.equal((await waiting.exitWithin(15_000)).code, 4, waiting.stdout + waiting.stderr);
    const report = waiting.eventsOf('group-report')[0]!;
    assert.deepEqual([report.missing, report.waiting, report.deliveredOnce], [0, parked.length, last - parked.length]);
    const ranges = (report.producers as Array<{ waitingRanges: Array<{ from: number; to: number; members: string[] }> }>)[0]!.waitingRanges;
    assert.deepEqual(ranges.flatMap((r) => range(r.from, r.to)), parked);
    assert.ok(ranges.every((r) => r.members.join() === 'leaves'), JSON.stringify(ranges));
    const inWords = CliProcess.report(records);
    assert.equal((await inWords.exitWithin(15_000)).code, 4);
    assert.match(inWords.stdout, new RegExp(`^  waiting for leaves, away with its session kept: ${parked.length} \\(`, 'm'));
    assert.match(inWords.stdout, new RegExp(`^Verdict: nothing lost so far, but ${parked.length} values wait for leaves, away with its session kept: they arrive when it returns`, 'm'));

    const back = CliProcess.consumer(args('leaves'));
    await back.waitUntil('its parked values', () => parked.every((value) => messageValues(back.events).includes(value)));
    assert.equal((await back.interrupt()).code, 0);
    assert.deepEqual(back.eventsOf('message').filter((m) => m.queued).map((m) => m.value), parked, 'the waiting values came from its session');
    const delivered = CliProcess.report(records);
    assert.equal((await delivered.exitWithin(15_000)).code, 0, delivered.stdout + delivered.stderr);
    assert.match(delivered.stdout, new RegExp(`^Verdict: every value arrived, exactly once across the group \\(${last} values, ${parked.length} of them waited for an absent member\\)$`, 'm'));
    assert.doesNotMatch(delivered.stdout, /waiting for/);
  });

  it("a single consumer's record shows its duplicates, not \"exactly once\"", async () => {
    const state = join(mosquitto.dir, 'alone.json');
    const alone = CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'alone', '-t', 'twice', '--state', state, '--json', '-C', '12']);
    await alone.waitForEvent('subscribed');
    // A producer that resends values the broker already had, as one restarted after a crash does.
    mosquittoPub(mosquitto.broker.port, 'twice', [...range(1, 10), 4, 5], { 'producer-id': 'resender', 'run-id': 'resender-1' });
    assert.equal((await alone.exitWithin(15_000)).code, 0, alone.stderr);
    assert.equal(alone.eventsOf('summary')[0]!.duplicates, 2);

    const report = CliProcess.report([state]);
    assert.equal((await report.exitWithin(15_000)).code, 0, report.stderr);
    assert.doesNotMatch(report.stdout, /exactly once/);
    assert.match(report.stdout, /^Consumer alone: one record, not a member of a group$/m);
    assert.match(report.stdout, /^ {2}delivered to one member: 10, and 2 redeliveries of values a member had \(duplicates\); missing from the whole group: 0/m);
    assert.match(report.stdout, /^ {2}alone: 10 received \(0 from the queue, 2 duplicates\)$/m);
    assert.match(report.stdout, /^Verdict: nothing missing, but 2 were delivered again to a member that had them \(duplicates\)$/m);
  });

  it('bad input is one line on stderr and a documented exit status', async () => {
    writeFileSync(join(mosquitto.dir, 'garbage.txt'), 'hello\n');
    const cases: Array<{ command: CliProcess; code: number; message: RegExp }> = [
      { command: CliProcess.report([]), code: 2, message: /^report: give the members' records \(state files or --json outputs\), or --history FILE$/m },
      { command: CliProcess.report([join(mosquitto.dir, 'absent.json')]), code: 1, message: /cannot read .*absent\.json/ },
      { command: CliProcess.report([join(mosquitto.dir, 'garbage.txt')]), code: 1, message: /is neither a consumer's state file nor its --json output/ },
      { command: CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'x', '--group', 'a/b', '--no-state']), code: 2, message: /invalid group name 'a\/b'/ },
      { command: CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'x', '--group', 'a', '-t', '$share/b/t', '--no-state']), code: 2, message: /--group a and the topic filter's group b differ/ },
      { command: CliProcess.consumer(['--url', mosquitto.broker.url, '-i', 'x', '-t', '$share/b', '--no-state']), code: 2, message: /invalid shared subscription/ },
    ];
    for (const { command, code, message } of cases) {
      const exit = await command.exitWithin(15_000);
      assert.equal(exit.code, code, command.stderr);
      assert.match(command.stderr, message);
      assert.equal(command.stderr.trim().split('\n').length, 1, command.stderr);
    }
  });
});
