/**
 * Consumer groups against a real Mosquitto: a member shows its share and never claims as missing what
 * another member got; the report merges the members' records and finds what reached no member.
 * (A member away while values are sent is the group scenario, replayed by scenarios.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CliProcess, messageValues } from './support/cli.js';
import { mosquittoPub, mosquittoSkip, TestMosquitto } from './support/mosquitto.js';

describe('consumer groups, against Mosquitto', { skip: mosquittoSkip() }, () => {
  let dir: string;
  let broker: TestMosquitto;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mqtt-ps-groups-'));
    broker = await new TestMosquitto().start();
  });
  after(async () => {
    await CliProcess.killAll();
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a value removed on the way: no member reports a gap, the report finds exactly that value missing from the whole group', async () => {
    // One member says --group, the other names the shared subscription itself: the same thing.
    const first = CliProcess.consumer(['--url', broker.url, '-i', 'member-1', '-t', 'jobs', '--group', 'workers', '--state', join(dir, 'member-1.json'), '--json']);
    const second = CliProcess.consumer(['--url', broker.url, '-i', 'member-2', '-t', '$share/workers/jobs', '--state', join(dir, 'member-2.json'), '--json']);
    await Promise.all([first.waitForEvent('subscribed'), second.waitForEvent('subscribed')]);
    assert.equal(first.eventsOf('subscribed')[0]!.topic, '$share/workers/jobs');
    mosquittoPub(broker.port, 'jobs', Array.from({ length: 40 }, (_, i) => i + 1).filter((value) => value !== 11), { 'producer-id': 'hand', 'run-id': 'hand-1' });
    await first.waitUntil('39 values across the group', () => messageValues(first.events).length + messageValues(second.events).length >= 39);
    const exits = [(await first.interrupt()).code, (await second.interrupt()).code];
    assert.deepEqual(exits, [0, 0], 'a member never exits 3 for what it did not get');
    assert.deepEqual([...first.eventsOf('gap'), ...second.eventsOf('gap')], []);
    const shares = [messageValues(first.events).length, messageValues(second.events).length];
    assert.ok(shares.every((share) => share >= 10), `each member got a share: ${shares.join(' and ')}`);
    assert.equal(first.eventsOf('summary').at(-1)!.group, 'workers');

    const fromState = CliProcess.report([join(dir, 'member-1.json'), join(dir, 'member-2.json'), '--json']);
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
    writeFileSync(join(dir, 'member-1.jsonl'), first.stdout);
    writeFileSync(join(dir, 'member-2.jsonl'), second.stdout);
    const fromOutput = CliProcess.report([join(dir, 'member-1.jsonl'), join(dir, 'member-2.jsonl')]);
    assert.equal((await fromOutput.exitWithin(15_000)).code, 3);
    assert.match(fromOutput.stdout, /^Group workers: 2 members \(member-1, member-2\)$/m);
    assert.match(fromOutput.stdout, /delivered exactly once: 39; missing from the whole group: 1 \(11\); delivered to two members: 0/);
    assert.match(fromOutput.stdout, /Verdict: 1 values reached no member of the group/);
  });

  it('bad input is one line on stderr and a documented exit status', async () => {
    writeFileSync(join(dir, 'garbage.txt'), 'hello\n');
    const cases: Array<{ command: CliProcess; code: number; message: RegExp }> = [
      { command: CliProcess.report([]), code: 2, message: /missing required argument/ },
      { command: CliProcess.report([join(dir, 'absent.json')]), code: 1, message: /cannot read .*absent\.json/ },
      { command: CliProcess.report([join(dir, 'garbage.txt')]), code: 1, message: /is neither a consumer's state file nor its --json output/ },
      { command: CliProcess.consumer(['--url', broker.url, '-i', 'x', '--group', 'a/b', '--no-state']), code: 2, message: /invalid group name 'a\/b'/ },
      { command: CliProcess.consumer(['--url', broker.url, '-i', 'x', '--group', 'a', '-t', '$share/b/t', '--no-state']), code: 2, message: /--group a and the topic filter's group b differ/ },
      { command: CliProcess.consumer(['--url', broker.url, '-i', 'x', '-t', '$share/b', '--no-state']), code: 2, message: /invalid shared subscription/ },
    ];
    for (const { command, code, message } of cases) {
      const exit = await command.exitWithin(15_000);
      assert.equal(exit.code, code, command.stderr);
      assert.match(command.stderr, message);
      assert.equal(command.stderr.trim().split('\n').length, 1, command.stderr);
    }
  });
});
